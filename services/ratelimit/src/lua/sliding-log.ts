/**
 * One rate-limit decision, atomic in Redis: an exact sliding-window log over one or more limits
 * at once, all-or-nothing.
 *
 * Each limit keeps a sorted set of admissions (score: the admission time in microseconds since the
 * epoch, member: unique per token). A decision drops the entries that left the window
 * (score ≤ now − window), counts the rest and, when `count + cost ≤ limit` holds for every limit,
 * adds `cost` entries to every one of them. A request refused by one limit adds nothing anywhere.
 * Since an entry counts for exactly `window` after its score, no window of that length ever holds
 * more than `limit` admissions, whatever the number of callers or replicas.
 *
 * Leases: with a hold of H ms, the entries are dated now + H, the latest moment the caller may spend
 * them. They then count until now + H + window, so tokens spent at any moment up to then still lie
 * in the log for every window that contains them (README: "Leases").
 *
 * KEYS[i]     the log of limit i
 * ARGV[1]     now in microseconds, or '' to use the Redis server's clock (one clock for every
 *             instance of the service; a caller's clock only in tests)
 * ARGV[2]     cost: tokens taken by this request (a lease takes several at once)
 * ARGV[3]     hold in microseconds (0 unless a lease)
 * ARGV[4]     a member prefix unique to this call (members are <prefix>:<n>)
 * ARGV[3+2i]  window of limit i in microseconds
 * ARGV[4+2i]  limit i: admissions allowed in any window
 *
 * Returns { allowed, nowMs, then per limit: conforms, remaining, resetMs, retryAfterMs }:
 * resetMs is the time until the oldest entry leaves the window (a slot frees; 0 when the log is
 * empty), retryAfterMs the time until this cost would fit, -1 when the cost exceeds the limit.
 *
 * Integers only: microsecond times stay below 2^53, so Lua's doubles hold them exactly, and they
 * are written with %d because tostring() would round them to 14 significant digits.
 */
export const SLIDING_LOG_SCRIPT = `
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
local cost = tonumber(ARGV[2])
local hold = tonumber(ARGV[3])
local prefix = ARGV[4]
local n = #KEYS
local allowed = 1
local windows, limits, used, conforms = {}, {}, {}, {}

local function fmt(us)
  return string.format('%d', us)
end
local function ceilMs(us)
  return math.ceil(us / 1000)
end

for i = 1, n do
  local window = tonumber(ARGV[3 + 2 * i])
  local limit = tonumber(ARGV[4 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', fmt(now - window))
  local count = redis.call('ZCARD', KEYS[i])
  windows[i] = window
  limits[i] = limit
  used[i] = count
  if cost > limit then
    conforms[i] = -1
    allowed = 0
  elseif count + cost > limit then
    conforms[i] = 0
    allowed = 0
  else
    conforms[i] = 1
  end
end

-- the score of the k-th oldest entry (1-based), or nil
local function scoreAt(key, k)
  local found = redis.call('ZRANGE', key, k - 1, k - 1, 'WITHSCORES')
  if found[2] then return tonumber(found[2]) end
  return nil
end

local out = { allowed, math.floor(now / 1000) }
for i = 1, n do
  local key, window, limit = KEYS[i], windows[i], limits[i]
  local count = used[i]
  if allowed == 1 then
    local score = fmt(now + hold)
    local args = {}
    for j = 1, cost do
      args[#args + 1] = score
      args[#args + 1] = prefix .. ':' .. j
      if #args >= 200 or j == cost then
        redis.call('ZADD', key, unpack(args))
        args = {}
      end
    end
    count = count + cost
    -- the key lives exactly as long as its newest entry counts
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    redis.call('PEXPIRE', key, math.max(1, ceilMs(tonumber(newest[2]) + window - now)))
  end
  local remaining = limit - count
  if remaining < 0 then remaining = 0 end
  local reset = 0
  local oldest = scoreAt(key, 1)
  if oldest then reset = math.max(0, ceilMs(oldest + window - now)) end
  local retry = 0
  if conforms[i] == -1 then
    retry = -1
  elseif conforms[i] == 0 then
    -- the cost fits once the (count + cost − limit) oldest entries have left the window
    local s = scoreAt(key, count + cost - limit)
    retry = math.max(1, ceilMs(s + window - now))
  end
  out[#out + 1] = conforms[i]
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
return out
`;
