using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CodeRaft.Admin.Security.Totp;

/// <summary>
/// RFC 6238 TOTP (and the RFC 4226 HOTP it is built on). The portal uses SHA-1, 6 digits, 30-second steps —
/// what every authenticator app supports — and accepts the current step ±1 (clock skew up to 30 s).
///
///   HOTP(K, C) = Truncate(HMAC(K, uint64_be(C))) mod 10^digits      (RFC 4226 §5.3)
///   TOTP(K, T) = HOTP(K, floor((T - T0) / step)),  T0 = 0
/// </summary>
public static class Totp
{
    public const int Digits = 6;
    public const int StepSeconds = 30;
    public const int Window = 1;

    public static long StepAt(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms",
        Justification = "HMAC-SHA1 is the TOTP algorithm of RFC 6238 that authenticator apps implement; HMAC-SHA1 is not affected by SHA-1 collisions.")]
    public static string Hotp(ReadOnlySpan<byte> key, long counter, int digits = Digits, HashAlgorithmName? algorithm = null)
    {
        Span<byte> message = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(message, counter);
        Span<byte> mac = stackalloc byte[64];
        var length = (algorithm ?? HashAlgorithmName.SHA1).Name switch
        {
            "SHA256" => HMACSHA256.HashData(key, message, mac),
            "SHA512" => HMACSHA512.HashData(key, message, mac),
            _ => HMACSHA1.HashData(key, message, mac),
        };

        // Dynamic truncation: 4 bytes at the offset named by the low nibble of the last byte, top bit cleared.
        var offset = mac[length - 1] & 0x0F;
        var binary = BinaryPrimitives.ReadInt32BigEndian(mac.Slice(offset, 4)) & 0x7FFFFFFF;
        var modulus = (int)Math.Pow(10, digits);
        return (binary % modulus).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>
    /// The step at which <paramref name="code"/> is valid within now ±<see cref="Window"/>, or null. Every
    /// candidate is computed and compared in constant time, so timing does not reveal which step matched.
    /// Replay protection (each step accepted once per user) is the caller's job, stored atomically with the user.
    /// </summary>
    public static long? Verify(ReadOnlySpan<byte> key, string normalizedCode, DateTimeOffset now)
    {
        var current = StepAt(now);
        long? matched = null;
        Span<byte> expected = stackalloc byte[Digits];
        Span<byte> given = stackalloc byte[Digits];
        if (normalizedCode.Length != Digits || System.Text.Encoding.ASCII.GetBytes(normalizedCode, given) != Digits)
        {
            return null;
        }

        for (var step = current - Window; step <= current + Window; step++)
        {
            System.Text.Encoding.ASCII.GetBytes(Hotp(key, step), expected);
            if (CryptographicOperations.FixedTimeEquals(expected, given))
            {
                matched ??= step;
            }
        }

        return matched;
    }
}
