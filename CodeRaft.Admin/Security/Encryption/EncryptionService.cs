using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// AES-256-GCM for values at rest (format: docs/encryption.md).
///
///   envelope v1 = version (1 byte, 0x01) || data key id (uint32, big-endian) || nonce (12) || ciphertext || tag (16)
///   AAD         = version || key id || "coderaft/value/v1" 0 table 0 column 0 rowId
///
/// Every call draws a fresh random 96-bit nonce. With at most 2^32 encryptions per data key the probability of
/// a nonce collision stays below 2^-32 (NIST SP 800-38D §8.3); key rotation adds data keys long before that.
/// </summary>
public sealed class EncryptionService(KeyRing keyRing)
{
    public const byte FormatVersion = 1;
    private const int HeaderSize = 1 + 4;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    internal const int Overhead = HeaderSize + NonceSize + TagSize;

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, EncryptionContext context)
    {
        var key = keyRing.ActiveKey;
        var envelope = new byte[Overhead + plaintext.Length];
        envelope[0] = FormatVersion;
        BinaryPrimitives.WriteUInt32BigEndian(envelope.AsSpan(1, 4), key.Id);
        var nonce = envelope.AsSpan(HeaderSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);

        var aadBuffer = ArrayPool<byte>.Shared.Rent(HeaderSize + context.MaxAssociatedDataLength);
        try
        {
            var aad = BuildAssociatedData(aadBuffer, envelope.AsSpan(0, HeaderSize), context);
            key.Encrypt(nonce, plaintext, envelope.AsSpan(HeaderSize + NonceSize, plaintext.Length),
                envelope.AsSpan(envelope.Length - TagSize), aad);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(aadBuffer);
        }

        return envelope;
    }

    public byte[] Decrypt(ReadOnlySpan<byte> envelope, EncryptionContext context)
    {
        if (envelope.Length < Overhead)
        {
            throw new EncryptedValueException(
                $"The encrypted value in {context.Table}.{context.Column} is truncated ({envelope.Length} bytes, at least {Overhead} expected).");
        }

        if (envelope[0] != FormatVersion)
        {
            throw new EncryptedValueException(
                $"The encrypted value in {context.Table}.{context.Column} has unknown format version {envelope[0]}.");
        }

        var keyId = BinaryPrimitives.ReadUInt32BigEndian(envelope[1..HeaderSize]);
        var key = keyRing.Find(keyId) ?? throw new EncryptedValueException(
            $"The encrypted value in {context.Table}.{context.Column} uses data key {keyId}, which is not in the key ring.");

        var plaintext = new byte[envelope.Length - Overhead];
        var aadBuffer = ArrayPool<byte>.Shared.Rent(HeaderSize + context.MaxAssociatedDataLength);
        try
        {
            var aad = BuildAssociatedData(aadBuffer, envelope[..HeaderSize], context);
            key.Decrypt(envelope.Slice(HeaderSize, NonceSize), envelope.Slice(HeaderSize + NonceSize, plaintext.Length),
                envelope[^TagSize..], plaintext, aad);
        }
        catch (AuthenticationTagMismatchException ex)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new EncryptedValueException(
                $"The encrypted value in {context.Table}.{context.Column} failed authentication: it was modified, truncated, or copied from another record.", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(aadBuffer);
        }

        return plaintext;
    }

    private static ReadOnlySpan<byte> BuildAssociatedData(byte[] buffer, ReadOnlySpan<byte> header, EncryptionContext context)
    {
        header.CopyTo(buffer);
        var length = HeaderSize + context.WriteAssociatedData(buffer.AsSpan(HeaderSize));
        return buffer.AsSpan(0, length);
    }
}
