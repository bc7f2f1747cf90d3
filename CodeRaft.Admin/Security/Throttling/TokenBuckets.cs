using System.Collections.Concurrent;

namespace CodeRaft.Admin.Security.Throttling;

/// <summary>
/// One token bucket per partition (an API key, a source address), on a <see cref="TimeProvider"/> so tests can
/// drive it. A bucket holds at most <c>perMinute</c> tokens and refills continuously at <c>perMinute</c> a minute,
/// so a client may burst its whole minute at once and then gets one request every 60/perMinute seconds.
/// A new partition starts full.
///
/// The level is kept as time credit in whole ticks (at most one minute; a token costs a minute / perMinute), so the
/// arithmetic is exact — no floating point deciding whether a request passes — and the rate can be passed on every
/// call: a changed rate applies at once (the unused part of the minute carries over, not a count of tokens).
///
/// Written here instead of using System.Threading.RateLimiting: its replenishment runs on its own timer, which a
/// fake clock cannot drive, and a per-call rate would need a limiter per rate.
/// </summary>
public sealed class TokenBuckets<TKey>(TimeProvider time, int maxPartitions = 100_000)
    where TKey : notnull
{
    private static readonly TimeSpan _pruneInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<TKey, Bucket> _buckets = new();
    private long _lastPrune;

    public int Count => _buckets.Count;

    /// <summary>Takes a token if there is one; otherwise says how long until there is.</summary>
    public bool TryTake(TKey key, int perMinute, out TimeSpan retryAfter) => Update(key, perMinute, take: true, out retryAfter);

    /// <summary>Whether the partition has no whole token left (takes nothing).</summary>
    public bool IsEmpty(TKey key, int perMinute, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        return _buckets.ContainsKey(key) && !Update(key, perMinute, take: false, out retryAfter);
    }

    /// <summary>
    /// Counts a failure after the fact, refusing nothing. Unlike <see cref="TryTake"/> it may run the bucket into
    /// debt (down to one minute's worth): requests that passed <see cref="IsEmpty"/> together while one token was
    /// left are each charged, so a burst of concurrent guesses blocks the partition for longer instead of costing
    /// one token between them.
    /// </summary>
    public void Charge(TKey key, int perMinute) => Update(key, perMinute, take: true, out _, allowDebt: true);

    private bool Update(TKey key, int perMinute, bool take, out TimeSpan retryAfter, bool allowDebt = false)
    {
        var now = time.GetTimestamp();
        while (true)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                if (_buckets.Count >= maxPartitions)
                {
                    Prune(now);
                }

                if (_buckets.Count >= maxPartitions)
                {
                    // More partitions than the bound (a scan from very many addresses): a partition that is not
                    // tracked is treated as full. Memory stays bounded; docs/decisions/ADR-010.
                    retryAfter = TimeSpan.Zero;
                    return true;
                }

                bucket = _buckets.GetOrAdd(key, _ => new Bucket(now));
            }

            lock (bucket)
            {
                if (bucket.Removed)
                {
                    continue; // pruned between the lookup and the lock: start over with a fresh bucket
                }

                Refill(bucket, now);
                var cost = TimeSpan.TicksPerMinute / Math.Max(1, perMinute);
                if (bucket.Credit >= cost)
                {
                    if (take)
                    {
                        bucket.Credit -= cost;
                    }

                    retryAfter = TimeSpan.Zero;
                    return true;
                }

                if (take && allowDebt)
                {
                    bucket.Credit = Math.Max(bucket.Credit - cost, -TimeSpan.TicksPerMinute);
                }

                retryAfter = TimeSpan.FromTicks(cost - bucket.Credit);
                return false;
            }
        }
    }

    private void Refill(Bucket bucket, long now)
    {
        var elapsed = time.GetElapsedTime(bucket.Stamp, now).Ticks;
        if (elapsed > 0)
        {
            bucket.Credit = Math.Min(TimeSpan.TicksPerMinute, bucket.Credit + elapsed);
            bucket.Stamp = now;
        }
    }

    /// <summary>A full bucket is the same as no bucket, so full ones can go. At most once a second.</summary>
    private void Prune(long now)
    {
        var last = Interlocked.Read(ref _lastPrune);
        if ((last != 0 && time.GetElapsedTime(last, now) < _pruneInterval) || Interlocked.CompareExchange(ref _lastPrune, now, last) != last)
        {
            return;
        }

        foreach (var (key, bucket) in _buckets)
        {
            lock (bucket)
            {
                Refill(bucket, now);
                if (bucket.Credit >= TimeSpan.TicksPerMinute)
                {
                    bucket.Removed = true;
                    _buckets.TryRemove(new KeyValuePair<TKey, Bucket>(key, bucket));
                }
            }
        }
    }

    private sealed class Bucket(long stamp)
    {
        public long Credit = TimeSpan.TicksPerMinute;
        public long Stamp = stamp;
        public bool Removed;
    }
}
