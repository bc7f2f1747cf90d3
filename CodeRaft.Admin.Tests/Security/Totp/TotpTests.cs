using System.Security.Cryptography;
using System.Text;
using CodeRaft.Admin.Security.Totp;

namespace CodeRaft.Admin.Tests.Security.Totp;

public sealed class TotpTests
{
    private static readonly byte[] _sha1Seed = Encoding.ASCII.GetBytes("12345678901234567890");
    private static readonly byte[] _sha256Seed = Encoding.ASCII.GetBytes("12345678901234567890123456789012");
    private static readonly byte[] _sha512Seed = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("1234567890", 7))[..64]);

    // RFC 4226 Appendix D (shared/testdata/VECTORS.md).
    [Theory]
    [InlineData(0, "755224")]
    [InlineData(1, "287082")]
    [InlineData(2, "359152")]
    [InlineData(3, "969429")]
    [InlineData(4, "338314")]
    [InlineData(5, "254676")]
    [InlineData(6, "287922")]
    [InlineData(7, "162583")]
    [InlineData(8, "399871")]
    [InlineData(9, "520489")]
    public void Hotp_Rfc4226Vector_Matches(long counter, string expected) =>
        Assert.Equal(expected, Admin.Security.Totp.Totp.Hotp(_sha1Seed, counter));

    // RFC 6238 Appendix B, 8 digits, T0 = 0, 30 s (with the erratum's longer SHA-256/512 seeds).
    [Theory]
    [InlineData(59L, "94287082", "46119246", "90693936")]
    [InlineData(1111111109L, "07081804", "68084774", "25091201")]
    [InlineData(1111111111L, "14050471", "67062674", "99943326")]
    [InlineData(1234567890L, "89005924", "91819424", "93441116")]
    [InlineData(2000000000L, "69279037", "90698825", "38618901")]
    [InlineData(20000000000L, "65353130", "77737706", "47863826")]
    public void Hotp_Rfc6238Vector_MatchesForEveryAlgorithm(long unixTime, string sha1, string sha256, string sha512)
    {
        var step = Admin.Security.Totp.Totp.StepAt(DateTimeOffset.FromUnixTimeSeconds(unixTime));

        Assert.Equal(sha1, Admin.Security.Totp.Totp.Hotp(_sha1Seed, step, 8));
        Assert.Equal(sha256, Admin.Security.Totp.Totp.Hotp(_sha256Seed, step, 8, HashAlgorithmName.SHA256));
        Assert.Equal(sha512, Admin.Security.Totp.Totp.Hotp(_sha512Seed, step, 8, HashAlgorithmName.SHA512));
    }

    [Theory]
    [InlineData(-30, true)]
    [InlineData(0, true)]
    [InlineData(30, true)]
    [InlineData(-60, false)]
    [InlineData(60, false)]
    public void Verify_CodeOfNeighbourStep_AcceptedWithinOneStep(int offsetSeconds, bool accepted)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_010);
        var code = Admin.Security.Totp.Totp.Hotp(_sha1Seed, Admin.Security.Totp.Totp.StepAt(now.AddSeconds(offsetSeconds)));

        var step = Admin.Security.Totp.Totp.Verify(_sha1Seed, code, now);

        Assert.Equal(accepted, step is not null);
        if (accepted)
        {
            Assert.Equal(Admin.Security.Totp.Totp.StepAt(now.AddSeconds(offsetSeconds)), step);
        }
    }

    [Theory]
    [InlineData("123456", "123456")]
    [InlineData(" 123 456 ", "123456")]
    [InlineData("123-456", "123456")]
    [InlineData("1 2 3 4 5 6", "123456")]
    public void Parse_SpacesAndDashes_Normalized(string input, string expected)
    {
        var parsed = TotpCodeInput.Parse(input);

        Assert.True(parsed.IsValid);
        Assert.Equal(expected, parsed.Code);
    }

    [Theory]
    [InlineData(null, "Enter the 6-digit code")]
    [InlineData("", "Enter the 6-digit code")]
    [InlineData("   ", "Enter the 6-digit code")]
    [InlineData("12345", "exactly 6 digits; this one has 5")]
    [InlineData("1234567", "exactly 6 digits; this one has 7")]
    [InlineData("12a456", "digits only")]
    [InlineData("١٢٣٤٥٦", "digits only")] // Arabic-Indic digits are not ASCII digits
    [InlineData("123456'; DROP TABLE users;--", "digits only")]
    public void Parse_BadInput_ClearMessage(string? input, string expected)
    {
        var parsed = TotpCodeInput.Parse(input);

        Assert.False(parsed.IsValid);
        Assert.Contains(expected, parsed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TenKilobytes_RefusedWithoutWork()
    {
        var parsed = TotpCodeInput.Parse(new string('1', 10_240));

        Assert.False(parsed.IsValid);
        Assert.Equal("That is not a code: a code has 6 digits.", parsed.Error);
    }

    [Fact]
    public void Base32_Rfc4648Vectors_RoundTrip()
    {
        Assert.Equal("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", Base32.Encode(_sha1Seed));
        Assert.Equal(_sha1Seed, Base32.Decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"));
        Assert.Equal("MZXW6YTBOI", Base32.Encode("foobar"u8));
        Assert.Equal("foobar"u8.ToArray(), Base32.Decode("MZXW6YTBOI======"));
        Assert.Null(Base32.Decode("not base32!"));
    }

    [Fact]
    public void Enrollment_Create_UriAndQrFollowTheContract()
    {
        var enrollment = TotpEnrollment.Create("alice@example.test");

        Assert.Equal(32, enrollment.SecretBase32.Length); // 160 bits
        Assert.Equal($"otpauth://totp/CodeRaft:alice%40example.test?secret={enrollment.SecretBase32}&issuer=CodeRaft", enrollment.OtpauthUri);
        Assert.StartsWith("data:image/svg+xml;base64,", enrollment.QrCodeSvgDataUri, StringComparison.Ordinal);
        var svg = Encoding.UTF8.GetString(Convert.FromBase64String(enrollment.QrCodeSvgDataUri["data:image/svg+xml;base64,".Length..]));
        Assert.Contains("<svg", svg, StringComparison.Ordinal);
        Assert.NotEqual(enrollment.SecretBase32, TotpEnrollment.Create("alice@example.test").SecretBase32);
    }

    [Fact]
    public void Verify_OathtoolComputedCode_Accepted()
    {
        // An independent implementation: Debian's oathtool computes the code for the same key and time.
        var enrollment = TotpEnrollment.Create("bob@example.test");
        var now = DateTimeOffset.UtcNow;
        var start = new System.Diagnostics.ProcessStartInfo("oathtool") { RedirectStandardOutput = true };
        foreach (var arg in new[] { "--totp", "-b", $"--now={now.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", enrollment.SecretBase32 })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var code = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(Admin.Security.Totp.Totp.StepAt(now), Admin.Security.Totp.Totp.Verify(Base32.Decode(enrollment.SecretBase32), code, now));
    }
}
