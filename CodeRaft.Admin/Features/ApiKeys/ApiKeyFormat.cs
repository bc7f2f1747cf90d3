using System.Security.Cryptography;
using System.Text;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>
/// The API key format of CONTRACTS §5 (docs/api.md): <c>crk_</c> + 43 base62 characters encoding 32 random bytes +
/// 6 base62 characters of the CRC-32 (IEEE, as zlib's <c>crc32</c>) of the ASCII bytes of those 43 characters.
/// Base62 uses <c>0-9A-Za-z</c>, most significant digit first, left-padded with <c>0</c>.
///
/// Everything here is pure: <see cref="IsWellFormed"/> refuses a mistyped or random key without touching the store,
/// so such keys cost no database query.
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "crk_";
    public const int SecretLength = 43;
    public const int ChecksumLength = 6;
    public const int Length = 53; // Prefix + SecretLength + ChecksumLength
    public const int IdentifierLength = 12;
    public const int RandomBytes = 32;

    /// <summary>For customers' secret scanners.</summary>
    public const string Pattern = "crk_[0-9A-Za-z]{49}";

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static readonly uint[] _crcTable = BuildCrcTable();

    /// <summary>A new key from 32 bytes of the system's CSPRNG.</summary>
    public static string Generate()
    {
        Span<byte> random = stackalloc byte[RandomBytes];
        RandomNumberGenerator.Fill(random);
        try
        {
            return FromBytes(random);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(random);
        }
    }

    /// <summary>The key for given random bytes (tests use fixed bytes to compare with vectors).</summary>
    public static string FromBytes(ReadOnlySpan<byte> random)
    {
        var secret = EncodeBase62(random);
        return Prefix + secret + Checksum(secret);
    }

    /// <summary>
    /// True when <paramref name="key"/> has the prefix, the length, only base62 characters and a matching checksum.
    /// Ordinal checks only; nothing is looked up.
    /// </summary>
    public static bool IsWellFormed(string? key)
    {
        if (key is null || key.Length != Length || !key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        for (var i = Prefix.Length; i < Length; i++)
        {
            if (DigitOf(key[i]) < 0)
            {
                return false;
            }
        }

        var secret = key.AsSpan(Prefix.Length, SecretLength);
        // 62^43 exceeds 2^256: a 43-digit string above the largest 32-byte value is not a key.
        if (!TryDecodeBase62(secret, stackalloc byte[RandomBytes]))
        {
            return false;
        }

        return key.AsSpan(Prefix.Length + SecretLength).SequenceEqual(Checksum(secret));
    }

    /// <summary>The visible identifier: the first 12 characters (e.g. <c>crk_7Hq2LmX9</c>).</summary>
    public static string Identifier(string key) =>
        key.Length >= IdentifierLength ? key[..IdentifierLength] : throw new ArgumentException("Not an API key.", nameof(key));

    /// <summary>SHA-256 of the whole key's ASCII bytes, lower-case hex: the only form that is stored.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(HashBytes(key));

    public static byte[] HashBytes(string key) => SHA256.HashData(Encoding.ASCII.GetBytes(key));

    /// <summary>32 bytes as exactly 43 base62 digits, most significant first, left-padded with '0'.</summary>
    public static string EncodeBase62(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != RandomBytes)
        {
            throw new ArgumentException($"Expected {RandomBytes} bytes.", nameof(bytes));
        }

        // Schoolbook division of the big-endian number by 62, least significant digit first.
        Span<byte> number = stackalloc byte[RandomBytes];
        bytes.CopyTo(number);
        Span<char> digits = stackalloc char[SecretLength];
        for (var d = SecretLength - 1; d >= 0; d--)
        {
            var remainder = 0;
            for (var i = 0; i < number.Length; i++)
            {
                var value = (remainder << 8) | number[i];
                number[i] = (byte)(value / 62);
                remainder = value % 62;
            }

            digits[d] = Alphabet[remainder];
        }

        var result = new string(digits);
        CryptographicOperations.ZeroMemory(number);
        return result;
    }

    /// <summary>43 base62 digits back to 32 bytes; false for a wrong length, a non-base62 character or an overflow.</summary>
    public static bool TryDecodeBase62(ReadOnlySpan<char> digits, Span<byte> bytes)
    {
        if (digits.Length != SecretLength || bytes.Length != RandomBytes)
        {
            return false;
        }

        bytes.Clear();
        foreach (var c in digits)
        {
            var carry = DigitOf(c);
            if (carry < 0)
            {
                return false;
            }

            for (var i = bytes.Length - 1; i >= 0; i--)
            {
                var value = bytes[i] * 62 + carry;
                bytes[i] = (byte)value;
                carry = value >> 8;
            }

            if (carry != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The 6-digit base62 CRC-32 of the ASCII bytes of <paramref name="secret"/>.</summary>
    public static string Checksum(ReadOnlySpan<char> secret)
    {
        var crc = Crc32(secret);
        Span<char> digits = stackalloc char[ChecksumLength];
        for (var d = ChecksumLength - 1; d >= 0; d--)
        {
            digits[d] = Alphabet[(int)(crc % 62)];
            crc /= 62;
        }

        return new string(digits);
    }

    /// <summary>CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), identical to zlib's <c>crc32</c>.</summary>
    public static uint Crc32(ReadOnlySpan<char> ascii)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var c in ascii)
        {
            crc = _crcTable[(crc ^ (byte)c) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static int DigitOf(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'Z' => c - 'A' + 10,
        >= 'a' and <= 'z' => c - 'a' + 36,
        _ => -1,
    };

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
