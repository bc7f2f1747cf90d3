using System.Security.Cryptography;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// One unwrapped 256-bit data key. <see cref="AesGcm"/> instances are not safe for concurrent use, so each thread
/// keeps its own (the key schedule is computed once per thread, not once per value).
/// </summary>
public sealed class DataKey : IDisposable
{
    private readonly byte[] _key;
    private readonly ThreadLocal<AesGcm> _cipher;

    public DataKey(uint id, ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("A data key is 32 bytes.", nameof(key));
        }

        Id = id;
        _key = key.ToArray();
        _cipher = new ThreadLocal<AesGcm>(() => new AesGcm(_key, 16), trackAllValues: true);
    }

    public uint Id { get; }

    internal void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> aad) =>
        _cipher.Value!.Encrypt(nonce, plaintext, ciphertext, tag, aad);

    internal void Decrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad) =>
        _cipher.Value!.Decrypt(nonce, ciphertext, tag, plaintext, aad);

    public void Dispose()
    {
        foreach (var cipher in _cipher.Values)
        {
            cipher.Dispose();
        }

        _cipher.Dispose();
        CryptographicOperations.ZeroMemory(_key);
    }
}
