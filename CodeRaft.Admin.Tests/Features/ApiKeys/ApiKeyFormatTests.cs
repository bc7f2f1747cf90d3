using CodeRaft.Admin.Features.ApiKeys;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>The key format of CONTRACTS §5 against vectors computed independently with Python's zlib.</summary>
public sealed class ApiKeyFormatTests
{
    // python3 -c "import zlib;A='0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';e=lambda n,w:''.join(A[n//62**i%62] for i in reversed(range(w)));k=lambda b:(lambda s:'crk_'+s+e(zlib.crc32(s.encode()),6))(e(int.from_bytes(b,'big'),43));print(k(bytes(32)),k(bytes(range(32))),k(b'\xff'*32))"
    public static TheoryData<byte[], string> Vectors => new()
    {
        { new byte[32], "crk_00000000000000000000000000000000000000000002CZclj" },
        { Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), "crk_003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf1Yo7hP" },
        { Enumerable.Repeat((byte)0xFF, 32).ToArray(), "crk_yhjskwdA6OZ1AL1YmHWZWm8LLG7HjnuCA2j5rOw8Xp13sRzl1" },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void FromBytes_KnownBytes_MatchesPythonVector(byte[] bytes, string expected)
    {
        Assert.Equal(expected, ApiKeyFormat.FromBytes(bytes));
        Assert.True(ApiKeyFormat.IsWellFormed(expected));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TryDecodeBase62_Vector_RoundTripsToTheBytes(byte[] bytes, string key)
    {
        var decoded = new byte[32];
        Assert.True(ApiKeyFormat.TryDecodeBase62(key.AsSpan(4, 43), decoded));
        Assert.Equal(bytes, decoded);
    }

    [Theory]
    // python3 -c "import zlib;print(zlib.crc32(b'123456789'), zlib.crc32(b''), zlib.crc32(b'The quick brown fox jumps over the lazy dog'))"
    [InlineData("123456789", 3421780262u)]
    [InlineData("", 0u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 1095738169u)]
    public void Crc32_ZlibVectors_Match(string input, uint expected) => Assert.Equal(expected, ApiKeyFormat.Crc32(input));

    [Fact]
    public void Generate_ManyKeys_AreWellFormedDistinctAndMatchTheScannerRegex()
    {
        var keys = Enumerable.Range(0, 200).Select(_ => ApiKeyFormat.Generate()).ToList();
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.All(keys, k =>
        {
            Assert.Matches("^" + ApiKeyFormat.Pattern + "$", k);
            Assert.Equal(53, k.Length);
            Assert.True(ApiKeyFormat.IsWellFormed(k));
        });
    }

    [Fact]
    public void IsWellFormed_EverySingleCharacterChange_FailsTheChecksum()
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var key = ApiKeyFormat.Generate();
        var tried = 0;
        for (var position = 0; position < key.Length; position++)
        {
            foreach (var c in alphabet.Append('_').Append('-').Append('é'))
            {
                if (c == key[position])
                {
                    continue;
                }

                var changed = key[..position] + c + key[(position + 1)..];
                Assert.False(ApiKeyFormat.IsWellFormed(changed), $"accepted {changed}");
                tried++;
            }
        }

        Assert.True(tried > 53 * 60);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("crk_")]
    [InlineData("CRK_00000000000000000000000000000000000000000002CZclj")] // prefix is case-sensitive
    [InlineData("crx_00000000000000000000000000000000000000000002CZclj")]
    [InlineData("crk_00000000000000000000000000000000000000000002CZcl")] // one short
    [InlineData("crk_00000000000000000000000000000000000000000002CZclj0")] // one long
    [InlineData(" crk_00000000000000000000000000000000000000000002CZclj")]
    [InlineData("crk_00000000000000000000000000000000000000000002CZclj ")]
    [InlineData("Bearer crk_00000000000000000000000000000000000000000002CZclj")]
    [InlineData("crk_0000000000000000000000000000000000000000+002CZclj")]
    [InlineData("crk_0000000000000000000000000000000000000000０002CZclj")] // full-width digit
    public void IsWellFormed_WrongLengthPrefixOrAlphabet_IsRefused(string? key) => Assert.False(ApiKeyFormat.IsWellFormed(key));

    [Fact]
    public void IsWellFormed_43DigitsAboveTwoTo256_IsRefusedEvenWithAValidChecksum()
    {
        var secret = new string('z', 43);
        var key = "crk_" + secret + ApiKeyFormat.Checksum(secret);
        Assert.False(ApiKeyFormat.IsWellFormed(key));
    }

    [Fact]
    public void IdentifierAndHash_OfAKey_AreTheFirstTwelveCharactersAndLowerHexSha256()
    {
        const string key = "crk_00000000000000000000000000000000000000000002CZclj";
        Assert.Equal("crk_00000000", ApiKeyFormat.Identifier(key));
        // python3 -c "import hashlib;print(hashlib.sha256(b'crk_00000000000000000000000000000000000000000002CZclj').hexdigest())"
        Assert.Equal("5d16e71317876a6d83728f3a478211f3c69ec610c2fe74569c3c24fd05baa3aa", ApiKeyFormat.Hash(key));
    }
}
