using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Security.Encryption;

namespace CodeRaft.Admin.Tests.Security.Encryption;

public sealed class EncryptionServiceTests : IDisposable
{
    private static readonly EncryptionContext _row42 = new("system_secrets", "value", "row-42");
    private readonly KeyRing _keyRing = new();
    private readonly EncryptionService _service;

    public EncryptionServiceTests()
    {
        _keyRing.Load([new DataKey(1, RandomNumberGenerator.GetBytes(32))], 1);
        _service = new EncryptionService(_keyRing);
    }

    public void Dispose() => _keyRing.Dispose();

    [Theory]
    [InlineData("")]
    [InlineData("JBSWY3DPEHPK3PXP")]
    [InlineData("ünïcødé ✓ secret with spaces and \u0000 nul")]
    public void Encrypt_ThenDecrypt_RoundTrips(string plaintext)
    {
        var envelope = _service.Encrypt(Encoding.UTF8.GetBytes(plaintext), _row42);

        Assert.Equal(plaintext, Encoding.UTF8.GetString(_service.Decrypt(envelope, _row42)));
    }

    [Fact]
    public void Encrypt_Envelope_HasVersionKeyIdNonceAndTag()
    {
        var envelope = _service.Encrypt(new byte[10], _row42);

        Assert.Equal(1 + 4 + 12 + 10 + 16, envelope.Length);
        Assert.Equal(EncryptionService.FormatVersion, envelope[0]);
        Assert.Equal([0, 0, 0, 1], envelope[1..5]);
    }

    [Theory]
    [InlineData(0, "unknown format version")]
    [InlineData(4, "not in the key ring")]
    [InlineData(8, "failed authentication")]   // nonce
    [InlineData(20, "failed authentication")]  // ciphertext
    [InlineData(-1, "failed authentication")]  // tag
    public void Decrypt_TamperedByte_FailsWithClearError(int index, string expected)
    {
        var envelope = _service.Encrypt("top secret value"u8, _row42);
        envelope[index < 0 ? envelope.Length + index : index] ^= 0x01;

        var error = Assert.Throws<EncryptedValueException>(() => _service.Decrypt(envelope, _row42));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("system_secrets", "value", "row-43")]
    [InlineData("system_secrets", "other", "row-42")]
    [InlineData("siem_targets", "value", "row-42")]
    public void Decrypt_OtherTableColumnOrRow_FailsAuthentication(string table, string column, string row)
    {
        var envelope = _service.Encrypt("top secret value"u8, _row42);

        var error = Assert.Throws<EncryptedValueException>(() => _service.Decrypt(envelope, new EncryptionContext(table, column, row)));
        Assert.Contains("copied from another record", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(32)]
    public void Decrypt_Truncated_FailsWithClearError(int length)
    {
        var envelope = _service.Encrypt("top secret value"u8, _row42);

        var error = Assert.Throws<EncryptedValueException>(() => _service.Decrypt(envelope.AsSpan(0, length), _row42));
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_TruncatedByOneByte_FailsAuthentication()
    {
        var envelope = _service.Encrypt("top secret value"u8, _row42);

        Assert.Throws<EncryptedValueException>(() => _service.Decrypt(envelope.AsSpan(0, envelope.Length - 1), _row42));
    }

    [Fact]
    public void Encrypt_100000Times_UsesDistinctNonces()
    {
        var nonces = new HashSet<string>(100_000);
        for (var i = 0; i < 100_000; i++)
        {
            var envelope = _service.Encrypt("same plaintext"u8, _row42);
            nonces.Add(Convert.ToBase64String(envelope, 5, 12));
        }

        Assert.Equal(100_000, nonces.Count);
    }

    [Fact]
    public void Encrypt_ConcurrentThreads_AllRoundTrip()
    {
        Parallel.For(0, 2_000, i =>
        {
            var context = new EncryptionContext("t", "c", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var plaintext = Encoding.UTF8.GetBytes($"value {i}");
            Assert.Equal(plaintext, _service.Decrypt(_service.Encrypt(plaintext, context), context));
        });
    }

    [Fact]
    public void Encrypt_LockedKeyRing_Refuses()
    {
        using var locked = new KeyRing();
        var service = new EncryptionService(locked);

        var error = Assert.Throws<InvalidOperationException>(() => service.Encrypt("x"u8, _row42));
        Assert.Contains("locked", error.Message, StringComparison.Ordinal);
    }
}
