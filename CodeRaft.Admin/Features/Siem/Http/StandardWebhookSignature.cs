using System.Security.Cryptography;
using System.Text;

namespace CodeRaft.Admin.Features.Siem.Http;

/// <summary>
/// Standard Webhooks v1 signatures (https://www.standardwebhooks.com/): <c>v1,</c> + base64(HMAC-SHA256(key,
/// "{id}.{timestamp}.{body}")). The secret is <c>whsec_</c> + base64 of 24–64 random bytes; the key is the decoded
/// bytes (a bare base64 value without the prefix is accepted too).
/// </summary>
public static class StandardWebhookSignature
{
    public const string SecretPrefix = "whsec_";

    /// <summary>The receiver-side tolerance the spec recommends against replays.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    private const int MinKeyBytes = 24;
    private const int MaxKeyBytes = 64;

    /// <summary>A new secret for the UI to offer: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string GenerateSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static bool TryParseSecret(string? secret, out byte[] key, out string error)
    {
        key = [];
        var text = secret?.Trim() ?? "";
        if (text.StartsWith(SecretPrefix, StringComparison.Ordinal))
        {
            text = text[SecretPrefix.Length..];
        }

        if (text.Length == 0)
        {
            error = "The signing secret is required (whsec_ followed by base64).";
            return false;
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            error = "The signing secret must be whsec_ followed by base64.";
            return false;
        }

        if (decoded.Length is < MinKeyBytes or > MaxKeyBytes)
        {
            error = $"The signing secret must decode to {MinKeyBytes}–{MaxKeyBytes} bytes.";
            return false;
        }

        key = decoded;
        error = "";
        return true;
    }

    public static string Sign(string id, long timestamp, ReadOnlySpan<byte> body, ReadOnlySpan<byte> key) =>
        "v1," + Convert.ToBase64String(Mac(id, timestamp, body, key));

    public static string Sign(string id, long timestamp, string body, string secret)
    {
        if (!TryParseSecret(secret, out var key, out var error))
        {
            throw new ArgumentException(error, nameof(secret));
        }

        return Sign(id, timestamp, Encoding.UTF8.GetBytes(body), key);
    }

    /// <summary>
    /// True when one of the space-separated signatures in <paramref name="signatureHeader"/> is a valid v1 signature
    /// and the timestamp is within <paramref name="tolerance"/> of <paramref name="now"/> (null = do not check the time).
    /// </summary>
    public static bool Verify(string signatureHeader, string id, string timestampHeader, ReadOnlySpan<byte> body, ReadOnlySpan<byte> key,
        DateTimeOffset? now = null, TimeSpan? tolerance = null)
    {
        if (!long.TryParse(timestampHeader, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var timestamp))
        {
            return false;
        }

        if (now is { } clock && Math.Abs(clock.ToUnixTimeSeconds() - timestamp) > (tolerance ?? DefaultTolerance).TotalSeconds)
        {
            return false;
        }

        var expected = Mac(id, timestamp, body, key);
        var found = false;
        foreach (var candidate in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!candidate.StartsWith("v1,", StringComparison.Ordinal))
            {
                continue;
            }

            var actual = new byte[32];
            if (Convert.TryFromBase64String(candidate[3..], actual, out var written) && written == actual.Length)
            {
                // Compare every candidate (no early exit) in constant time.
                found |= CryptographicOperations.FixedTimeEquals(actual, expected);
            }
        }

        return found;
    }

    private static byte[] Mac(string id, long timestamp, ReadOnlySpan<byte> body, ReadOnlySpan<byte> key)
    {
        var prefix = Encoding.UTF8.GetBytes(FormattableString.Invariant($"{id}.{timestamp}."));
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(prefix);
        hmac.AppendData(body);
        return hmac.GetHashAndReset();
    }
}
