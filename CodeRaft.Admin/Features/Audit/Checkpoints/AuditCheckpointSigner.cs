using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Audit.Checkpoints;

/// <summary>
/// Signs audit checkpoints with the installation's ECDSA P-256 key (docs/audit-chain.md):
///
///   message   = UTF-8 of "coderaft-audit-checkpoint/v1\n{sequence}\n{hash}\n{timestamp}\n"
///   signature = base64( ECDSA-P256-SHA256(message) in IEEE P1363 form r||s, 64 bytes )
///   key_id    = first 16 hex characters of SHA-256(SubjectPublicKeyInfo DER)
///
/// The private key is generated on first start and stored in system_secrets, encrypted at rest; a database
/// administrator without the master secret can neither read it nor forge a checkpoint.
/// </summary>
public sealed class AuditCheckpointSigner(IDbContextFactory<AdminDbContext> contexts, TimeProvider time) : IDisposable
{
    public const string SecretName = "audit.checkpoint-signing-key";
    private ECDsa? _key;

    public string KeyId { get; private set; } = "";

    /// <summary>True when this process generated the key (first start); the initializer records that in the chain.</summary>
    public bool GeneratedByThisProcess { get; private set; }

    public string PublicKeyPem => Key.ExportSubjectPublicKeyInfoPem();

    private ECDsa Key => _key ?? throw new InvalidOperationException("The checkpoint signing key is not loaded yet.");

    /// <summary>Loads the signing key, generating and storing it on first start.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var stored = await db.SystemSecrets.AsNoTracking().SingleOrDefaultAsync(s => s.Name == SecretName, cancellationToken);
        if (stored?.Value is null)
        {
            // A missing key with existing checkpoints means the row was deleted: a fresh key would quietly
            // replace the identity that signed the history.
            var checkpoints = await db.AuditCheckpoints.CountAsync(cancellationToken);
            if (checkpoints > 0)
            {
                throw new Infrastructure.Hosting.AdminStartupException(
                    $"The audit checkpoint signing key is missing although {checkpoints} signed checkpoints exist; restore the database from a backup (system_secrets row '{SecretName}').",
                    Infrastructure.Hosting.AdminStartupException.CheckFailed);
            }

            using var generated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            db.SystemSecrets.Add(new SystemSecret
            {
                Name = SecretName,
                Value = Convert.ToBase64String(generated.ExportPkcs8PrivateKey()),
                CreatedAt = time.GetUtcNow().UtcDateTime,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                GeneratedByThisProcess = true;
            }
            catch (DbUpdateException)
            {
                // Another process (the CLI, a second instance) created it first: use theirs.
            }

            await LoadAsync(cancellationToken);
            return;
        }

        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(stored.Value), out _);
        Interlocked.Exchange(ref _key, key)?.Dispose();
        KeyId = ComputeKeyId(key.ExportSubjectPublicKeyInfo());
    }

    public AuditCheckpoint Create(long sequence, string hash, string timestamp) => new()
    {
        Sequence = sequence,
        Hash = hash,
        Timestamp = timestamp,
        KeyId = KeyId,
        Signature = Convert.ToBase64String(Key.SignData(Message(sequence, hash, timestamp), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation)),
    };

    public bool Verify(AuditCheckpoint checkpoint)
    {
        Span<byte> signature = stackalloc byte[64];
        return checkpoint.KeyId == KeyId
            && Convert.TryFromBase64String(checkpoint.Signature, signature, out var length) && length == 64
            && Key.VerifyData(Message(checkpoint.Sequence, checkpoint.Hash, checkpoint.Timestamp), signature,
                HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public static byte[] Message(long sequence, string hash, string timestamp) =>
        Encoding.UTF8.GetBytes($"coderaft-audit-checkpoint/v1\n{sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n{hash}\n{timestamp}\n");

    public static string ComputeKeyId(ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(subjectPublicKeyInfo))[..16];

    public void Dispose() => _key?.Dispose();
}
