import { describe, expect, it } from 'vitest';
import { blobRehydration } from '../src/rehydration.js';

describe('what a blob’s properties say of its rehydration', () => {
  it('reads Blob Storage’s own answers: archived and pending, archived and never asked, hot', () => {
    // Azure, between a Set Blob Tier to Hot and the end of the rehydration (hours)
    expect(blobRehydration({ accessTier: 'Archive', archiveStatus: 'rehydrate-pending-to-hot' })).toBe('pending');
    expect(blobRehydration({ accessTier: 'Archive', archiveStatus: 'rehydrate-pending-to-cool' })).toBe('pending');
    // archived, with no request under way (or one that was lost)
    expect(blobRehydration({ accessTier: 'Archive' })).toBe('not-requested');
    expect(blobRehydration({ accessTier: 'archive', archiveStatus: undefined })).toBe('not-requested');
    // done (Azure clears archiveStatus); Azurite 3.35 answers this at once after the Set Blob Tier
    expect(blobRehydration({ accessTier: 'Hot' })).toBe('readable');
    expect(blobRehydration({ accessTier: 'Cool' })).toBe('readable');
  });
});
