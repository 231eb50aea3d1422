// Started by the launcher in its own process group. If the launcher dies without stopping its
// processes (SIGKILL, a crashed terminal), this stops every process group listed in the pid file.
import { existsSync, readFileSync, rmSync } from 'node:fs';

const [parentPid, pidFile] = [Number(process.argv[2]), process.argv[3]];
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const kill = (signal) => {
  if (!existsSync(pidFile)) return [];
  const pids = JSON.parse(readFileSync(pidFile, 'utf8'));
  for (const pid of pids) {
    try {
      process.kill(-pid, signal);
    } catch {
      // gone
    }
  }
  return pids;
};
const timer = setInterval(() => {
  if (alive(parentPid)) return;
  clearInterval(timer);
  const pids = kill('SIGTERM');
  setTimeout(() => {
    if (pids.length > 0) kill('SIGKILL');
    rmSync(pidFile, { force: true });
    process.exit(0);
  }, 5_000);
}, 500);
