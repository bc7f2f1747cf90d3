using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Security.Encryption;

namespace CodeRaft.Admin.Tests.Security.Encryption;

public sealed class KeyEncryptionKeyTests
{
    // PBKDF2-HMAC-SHA256 vectors from shared/testdata/VECTORS.md (RFC 7914 §11 and the widely published 32-byte set).
    // Derive produces 32 bytes; PBKDF2's output is T1 || T2 || ..., so it equals the first 32 bytes of a 64-byte vector.
    [Theory]
    [InlineData("passwd", "salt", 1, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")]
    [InlineData("Password", "NaCl", 80000, "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")]
    [InlineData("password", "salt", 1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b")]
    [InlineData("password", "salt", 4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a")]
    public void Derive_PublishedVector_MatchesExpectedBytes(string password, string salt, int iterations, string expectedHex)
    {
        var derived = KeyEncryptionKey.Derive(password, Encoding.ASCII.GetBytes(salt), iterations);

        Assert.Equal(expectedHex[..64], Convert.ToHexStringLower(derived));
    }

    [Fact]
    public void Derive_DefaultIterations_Is600000()
    {
        Assert.Equal(600_000, KeyEncryptionKey.Iterations);
        var salt = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(
            Rfc2898DeriveBytes.Pbkdf2("s3cret-master-secret"u8, salt, 600_000, HashAlgorithmName.SHA256, 32),
            KeyEncryptionKey.Derive("s3cret-master-secret", salt));
    }

    [Fact]
    public void Matches_OtherSecret_IsFalse()
    {
        var salt = RandomNumberGenerator.GetBytes(32);
        var check = KeyEncryptionKey.KeyCheck(KeyEncryptionKey.Derive("right-secret-0123456789", salt, 1000));

        Assert.True(KeyEncryptionKey.Matches(KeyEncryptionKey.Derive("right-secret-0123456789", salt, 1000), check));
        Assert.False(KeyEncryptionKey.Matches(KeyEncryptionKey.Derive("wrong-secret-0123456789", salt, 1000), check));
    }

    [Fact]
    public void Unwrap_WrongKekOrOtherKeyId_FailsWithClearError()
    {
        var kek = RandomNumberGenerator.GetBytes(32);
        var dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = KeyEncryptionKey.Wrap(kek, 7, dataKey);

        Assert.Equal(dataKey, KeyEncryptionKey.Unwrap(kek, 7, wrapped));
        var wrongKek = Assert.Throws<EncryptedValueException>(() => KeyEncryptionKey.Unwrap(RandomNumberGenerator.GetBytes(32), 7, wrapped));
        Assert.Contains("could not be unwrapped", wrongKek.Message, StringComparison.Ordinal);
        Assert.Throws<EncryptedValueException>(() => KeyEncryptionKey.Unwrap(kek, 8, wrapped));
    }
}
