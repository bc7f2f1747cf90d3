using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CodeRaft.LicenseIssuer;

/// <summary>
/// Writes license keys, format v1 (CONTRACTS §7): <c>CRL1.&lt;base64url(payload)&gt;.&lt;base64url(signature)&gt;</c>,
/// base64url without padding, the signature RSASSA-PKCS1-v1_5 / SHA-256 over the ASCII bytes of the first two
/// segments and the dot between them.
/// </summary>
/// <remarks>
/// Nothing here validates the payload: the portal's tests use it to craft licenses a portal must refuse (expired,
/// future, other organization, unknown product). The CLI's <c>issue</c> command validates before it signs.
/// </remarks>
public static class LicenseKeyWriter
{
    /// <summary>The format prefix of a v1 key.</summary>
    public const string Prefix = "CRL1";

    /// <summary>
    /// Compact (no whitespace), fields in the record's (= the contract's) order. Non-ASCII names stay UTF-8 rather than
    /// \u escapes; the payload is never embedded in HTML, and both forms are the same JSON to a reader.
    /// </summary>
    internal static JsonSerializerOptions PayloadJson { get; } = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The payload's UTF-8 JSON, exactly the bytes <see cref="Issue"/> signs.</summary>
    public static byte[] SerializePayload(LicensePayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return JsonSerializer.SerializeToUtf8Bytes(payload, PayloadJson);
    }

    /// <summary>Serializes the payload compactly and signs it: the normal way to make a license key.</summary>
    public static string Issue(RSA privateKey, LicensePayload payload) => SignRaw(privateKey, SerializePayload(payload));

    /// <summary>
    /// Signs exactly the given payload bytes (whitespace variants, non-UTF-8 bytes, v:2, huge payloads …) under the
    /// given prefix, so tests can produce keys that are well signed but otherwise wrong.
    /// </summary>
    public static string SignRaw(RSA privateKey, ReadOnlySpan<byte> payloadBytes, string prefix = Prefix)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(prefix);

        var signingInput = prefix + "." + Base64Url(payloadBytes);
        // The contract signs ASCII bytes; UTF-8 is the same for every ASCII prefix and does not turn a (test's)
        // non-ASCII prefix into '?' behind the caller's back.
        var signedBytes = Encoding.UTF8.GetBytes(signingInput);
        var signature = privateKey.SignData(signedBytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        // Verify before releasing: a faulty RSA-CRT signature would leak the private key's factors to whoever holds it.
        if (!privateKey.VerifyData(signedBytes, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            throw new CryptographicException("The signature just made does not verify; the key or the crypto library is faulty.");
        }

        return signingInput + "." + Base64Url(signature);
    }

    /// <summary>base64url (RFC 4648 §5) without padding.</summary>
    public static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    /// <summary>Decodes unpadded base64url; padding, whitespace or any other character is a <see cref="FormatException"/>.</summary>
    public static byte[] FromBase64Url(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // The BCL decoder tolerates padding and whitespace; a key segment has neither, so refuse them here.
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new FormatException("Not unpadded base64url: only A-Z, a-z, 0-9, '-' and '_' may occur.");
            }
        }

        if (text.Length % 4 == 1)
        {
            throw new FormatException("Not unpadded base64url: the length is impossible.");
        }

        return System.Buffers.Text.Base64Url.DecodeFromChars(text);
    }
}
