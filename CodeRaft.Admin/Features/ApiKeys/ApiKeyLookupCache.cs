using System.Collections.Concurrent;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// Remembers, for <see cref="Lifetime"/>, the row a valid key's hash was found to — so a busy client does not cost
/// one database query per request (docs/decisions/ADR-010, "Key lookups"). Only rows that were found are kept
/// (a guessed key is never cached, so guessing cannot fill it), at most <see cref="MaxEntries"/>.
///
/// Revocation, expiry and rate changes:
///   in this process — a revocation clears the cache when it commits (<see cref="ApiKeyManagementCore.KeyChanged"/>);
///                     a lookup that raced the change is not stored. (Not every audit append: a busy ingesting
///                     product would empty the cache for every key all the time.)
///   elsewhere       — the CLI or another instance: the cached row is used for at most <see cref="Lifetime"/>.
/// Expiry is checked against the clock on every request, cached or not.
/// </summary>
public sealed class ApiKeyLookupCache : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ApiKeyManagementCore _keys;
    private readonly TimeProvider _time;
    private long _generation;

    public ApiKeyLookupCache(ApiKeyManagementCore keys, TimeProvider time)
    {
        _keys = keys;
        _time = time;
        _keys.KeyChanged += OnKeyChanged;
    }

    /// <summary>Read before the query; pass to <see cref="Store"/> so a row read before a change is not kept.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool TryGet(string hashHex, out ApiKeyRow row)
    {
        if (_entries.TryGetValue(hashHex, out var entry) && _time.GetTimestamp() < entry.Until)
        {
            row = entry.Row;
            return true;
        }

        row = null!;
        return false;
    }

    public void Store(string hashHex, ApiKeyRow row, long generation)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[hashHex] = new Entry(row, _time.GetTimestamp() + (long)(Lifetime.TotalSeconds * _time.TimestampFrequency));
        if (Generation != generation)
        {
            _entries.TryRemove(hashHex, out _); // a change committed while we were reading: the row may be stale
        }
    }

    /// <summary>After the last use was written: keep the cached row in step, so it is not written again.</summary>
    public void Touch(string hashHex, ApiKeyRow row, DateTime lastUsedAt)
    {
        if (_entries.TryGetValue(hashHex, out var entry) && ReferenceEquals(entry.Row, row))
        {
            _entries.TryUpdate(hashHex, entry with { Row = row with { LastUsedAt = lastUsedAt } }, entry);
        }
    }

    public void Dispose() => _keys.KeyChanged -= OnKeyChanged;

    private void OnKeyChanged()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private sealed record Entry(ApiKeyRow Row, long Until);
}

/// <summary>What authenticating a key needs from its row.</summary>
public sealed record ApiKeyRow(Guid Id, string Identifier, string KeyHash, string Scopes, DateTime ExpiresAt, DateTime? RevokedAt, DateTime? LastUsedAt, int RateLimitPerMinute);
