using System.Security.Cryptography;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// Creates, unlocks and re-wraps the installation's key ring (docs/encryption.md):
/// master secret --PBKDF2--> KEK --AES-GCM wrap--> data keys --AES-GCM--> values.
/// </summary>
public sealed class KeyRingStore(IDbContextFactory<AdminDbContext> contexts, KeyRing keyRing, TimeProvider time)
{
    public async Task<bool> IsInitializedAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.KeyRing.AnyAsync(cancellationToken);
    }

    /// <summary>Checks the secret against the key-check value, then unwraps every data key. Writes nothing.</summary>
    public async Task UnlockAsync(string masterSecret, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var record = await db.KeyRing.AsNoTracking().SingleAsync(cancellationToken);
        var kek = DeriveAndCheck(masterSecret, record);
        try
        {
            var wrapped = await db.DataKeys.AsNoTracking().ToListAsync(cancellationToken);
            var keys = wrapped.Select(w => new DataKey((uint)w.Id, KeyEncryptionKey.Unwrap(kek, (uint)w.Id, w.WrappedKey))).ToList();
            var active = wrapped.SingleOrDefault(w => w.IsActive)
                ?? throw new AdminStartupException("The key ring has no active data key; the database is damaged.", AdminStartupException.CheckFailed);
            keyRing.Load(keys, (uint)active.Id);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
        }
    }

    /// <summary>First start: a random salt, the key-check value and one random data key, in one transaction.</summary>
    public async Task InitializeAsync(string masterSecret, CancellationToken cancellationToken = default)
    {
        var salt = RandomNumberGenerator.GetBytes(KeyEncryptionKey.SaltSize);
        var kek = KeyEncryptionKey.Derive(masterSecret, salt);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            db.KeyRing.Add(new KeyRingRecord { Salt = salt, KeyCheck = KeyEncryptionKey.KeyCheck(kek), CreatedAt = now });
            db.DataKeys.Add(new DataKeyRecord { Id = 1, WrappedKey = KeyEncryptionKey.Wrap(kek, 1, dataKey), IsActive = true, CreatedAt = now });
            await db.SaveChangesAsync(cancellationToken);
            keyRing.Load([new DataKey(1, dataKey)], 1);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }

    /// <summary>
    /// Re-wraps every data key under a KEK derived from <paramref name="newSecret"/> with a fresh salt, in one
    /// transaction. Values are not re-encrypted: they stay under the same data keys. Afterwards the old secret
    /// fails the key check.
    /// </summary>
    public async Task<int> RotateMasterSecretAsync(string currentSecret, string newSecret, CancellationToken cancellationToken = default) =>
        await RotateMasterSecretAsync(currentSecret, newSecret, audit: null, cancellationToken);

    /// <param name="audit">Saves the re-wrapped keys together with their audit entry; plain SaveChanges when null.</param>
    public async Task<int> RotateMasterSecretAsync(string currentSecret, string newSecret, Func<AdminDbContext, int, Task>? audit, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var record = await db.KeyRing.SingleAsync(cancellationToken);
        var oldKek = DeriveAndCheck(currentSecret, record);
        var newSalt = RandomNumberGenerator.GetBytes(KeyEncryptionKey.SaltSize);
        var newKek = KeyEncryptionKey.Derive(newSecret, newSalt);
        try
        {
            var dataKeys = await db.DataKeys.ToListAsync(cancellationToken);
            foreach (var dataKey in dataKeys)
            {
                var raw = KeyEncryptionKey.Unwrap(oldKek, (uint)dataKey.Id, dataKey.WrappedKey);
                dataKey.WrappedKey = KeyEncryptionKey.Wrap(newKek, (uint)dataKey.Id, raw);
                CryptographicOperations.ZeroMemory(raw);
            }

            record.Salt = newSalt;
            record.Iterations = KeyEncryptionKey.Iterations;
            record.KeyCheck = KeyEncryptionKey.KeyCheck(newKek);
            record.RotatedAt = time.GetUtcNow().UtcDateTime;
            if (audit is null)
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            else
            {
                await audit(db, dataKeys.Count);
            }

            await transaction.CommitAsync(cancellationToken);
            return dataKeys.Count;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(oldKek);
            CryptographicOperations.ZeroMemory(newKek);
        }
    }

    private static byte[] DeriveAndCheck(string masterSecret, KeyRingRecord record)
    {
        if (record.Kdf != KeyEncryptionKey.Algorithm)
        {
            throw new AdminStartupException($"The key ring uses key derivation '{record.Kdf}', which this version does not know.");
        }

        // The count is read from the database: a tampered value must neither hang start-up nor weaken the KDF.
        if (record.Iterations is < 100_000 or > 10_000_000)
        {
            throw new AdminStartupException($"The key ring's key derivation iteration count ({record.Iterations}) is outside 100,000–10,000,000; the database is damaged or was tampered with.",
                AdminStartupException.CheckFailed);
        }

        var kek = KeyEncryptionKey.Derive(masterSecret, record.Salt, record.Iterations);
        if (!KeyEncryptionKey.Matches(kek, record.KeyCheck))
        {
            CryptographicOperations.ZeroMemory(kek);
            throw new AdminStartupException(
                "The master secret does not match this installation's key ring (key check failed); start with the secret this database was created or last rotated with.");
        }

        return kek;
    }
}
