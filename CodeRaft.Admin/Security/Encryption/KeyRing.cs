namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// The unwrapped data keys of this installation, held in memory only. It starts locked; startup unlocks it
/// with the master secret (<see cref="KeyRingStore"/>). While locked every encryption and decryption fails
/// and /readyz reports not ready.
/// </summary>
public sealed class KeyRing : IDisposable
{
    private sealed record Snapshot(IReadOnlyDictionary<uint, DataKey> Keys, DataKey Active);

    private volatile Snapshot? _snapshot;

    public bool IsUnlocked => _snapshot is not null;

    public DataKey ActiveKey => _snapshot?.Active ?? throw Locked();

    public DataKey? Find(uint id) => (_snapshot ?? throw Locked()).Keys.GetValueOrDefault(id);

    internal void Load(IReadOnlyCollection<DataKey> keys, uint activeKeyId)
    {
        var byId = keys.ToDictionary(k => k.Id);
        var previous = _snapshot;
        _snapshot = new Snapshot(byId, byId[activeKeyId]);
        if (previous is not null)
        {
            foreach (var key in previous.Keys.Values)
            {
                key.Dispose();
            }
        }
    }

    public void Dispose()
    {
        var snapshot = _snapshot;
        _snapshot = null;
        foreach (var key in snapshot?.Keys.Values ?? [])
        {
            key.Dispose();
        }
    }

    private static InvalidOperationException Locked() =>
        new("The key ring is locked: the master secret has not been applied yet.");
}
