using System.Security.Cryptography;
using System.Text;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// The key-encryption key (KEK): PBKDF2-HMAC-SHA256 over the master secret with a random per-installation
/// salt and 600,000 iterations (OWASP 2023 guidance). It only wraps data keys; it never encrypts a value.
/// It is derived once at startup and never on a request path.
/// </summary>
public static class KeyEncryptionKey
{
    public const int Iterations = 600_000;
    public const string Algorithm = "pbkdf2-hmac-sha256";
    public const int SaltSize = 32;
    private const int KeySize = 32;
    private static readonly byte[] _keyCheckLabel = "coderaft/key-check/v1"u8.ToArray();

    public static byte[] Derive(string masterSecret, ReadOnlySpan<byte> salt, int iterations = Iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(masterSecret), salt, iterations, HashAlgorithmName.SHA256, KeySize);

    /// <summary>
    /// A key-check value: HMAC-SHA256(KEK, label), truncated to 16 bytes. It tells a wrong master secret apart
    /// from corrupted data keys, so startup can say exactly that, before anything is written.
    /// </summary>
    public static byte[] KeyCheck(ReadOnlySpan<byte> kek) => HMACSHA256.HashData(kek, _keyCheckLabel)[..16];

    public static bool Matches(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> storedKeyCheck) =>
        CryptographicOperations.FixedTimeEquals(KeyCheck(kek), storedKeyCheck);

    /// <summary>wrapped = nonce (12) || AES-256-GCM(KEK, dataKey, AAD = "coderaft/data-key/v1:" + id) || tag (16).</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> kek, uint dataKeyId, ReadOnlySpan<byte> dataKey)
    {
        var wrapped = new byte[12 + dataKey.Length + 16];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, 12));
        using var aes = new AesGcm(kek, 16);
        aes.Encrypt(wrapped.AsSpan(0, 12), dataKey, wrapped.AsSpan(12, dataKey.Length), wrapped.AsSpan(12 + dataKey.Length), WrapAad(dataKeyId));
        return wrapped;
    }

    public static byte[] Unwrap(ReadOnlySpan<byte> kek, uint dataKeyId, ReadOnlySpan<byte> wrapped)
    {
        if (wrapped.Length != 12 + 32 + 16)
        {
            throw new EncryptedValueException($"Data key {dataKeyId} is damaged (unexpected length {wrapped.Length}).");
        }

        var dataKey = new byte[32];
        try
        {
            using var aes = new AesGcm(kek, 16);
            aes.Decrypt(wrapped[..12], wrapped.Slice(12, 32), wrapped[44..], dataKey, WrapAad(dataKeyId));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new EncryptedValueException($"Data key {dataKeyId} could not be unwrapped: it was modified or wrapped under another master secret.", ex);
        }

        return dataKey;
    }

    private static byte[] WrapAad(uint dataKeyId) => Encoding.ASCII.GetBytes($"coderaft/data-key/v1:{dataKeyId}");
}
