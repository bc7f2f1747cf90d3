using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using CodeRaft.Admin.Tests.TestSupport;
using CodeRaft.LicenseIssuer;

using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Tools.LicenseIssuer;

/// <summary>The CLI in-process (fast, with a fixed clock); IssuerProcessTests runs the real binary.</summary>
public sealed class IssuerCliTests : IDisposable
{
    private static readonly DateTimeOffset _now = new(2026, 11, 29, 15, 0, 0, 250, TimeSpan.Zero);

    private readonly TempDirectory _dir = new("license-issuer");
    private readonly FakeTimeProvider _time = new(_now);

    public IssuerCliTests()
    {
        using var rsa = RSA.Create(2048);
        File.WriteAllText(_dir.Combine("private.pem"), rsa.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(_dir.Combine("public.pem"), rsa.ExportSubjectPublicKeyInfoPem());
    }

    public void Dispose() => _dir.Dispose();

    private const string ValidPayload =
        """{"organizationId":"org-1","organizationName":"Acme","product":"ravenscan","plan":"standard","features":["scan"],"maxUsers":5,"expiresAt":"2027-01-01T00:00:00Z"}""";

    private (int Exit, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = IssuerCli.Run(args, output, error, _time);
        return (exit, output.ToString(), error.ToString());
    }

    private string WritePayload(string json)
    {
        var path = _dir.Combine($"payload-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static JsonElement DecodePayload(string license) =>
        JsonDocument.Parse(LicenseKeyWriterTests.DecodeIndependently(license.Split('.')[1])).RootElement;

    [Fact]
    public void Issue_MinimalPayload_FillsVersionIdAndIssuedAtInWholeSeconds()
    {
        var (exit, output, error) = Run("issue", "--key", _dir.Combine("private.pem"), "--payload", WritePayload(ValidPayload));

        Assert.Equal(0, exit);
        Assert.Equal("", error);
        var license = output.TrimEnd('\n').Split('\n')[^1];
        var payload = DecodePayload(license);
        Assert.Equal(1, payload.GetProperty("v").GetInt32());
        Assert.True(Guid.TryParseExact(payload.GetProperty("licenseId").GetString(), "D", out var id) && id != Guid.Empty);
        Assert.Equal("2026-11-29T15:00:00Z", payload.GetProperty("issuedAt").GetString());
    }

    [Fact]
    public void Issue_PayloadWithIdAndIssuedAt_KeepsThem()
    {
        var json = ValidPayload.Replace("{", """{"v":1,"licenseId":"3f2b8c1e-7d4a-4e52-9a0b-6c1d2e3f4a5b","issuedAt":"2026-11-01T08:30:00Z",""", StringComparison.Ordinal);

        var (exit, output, _) = Run("issue", "--key", _dir.Combine("private.pem"), "--payload", WritePayload(json));

        Assert.Equal(0, exit);
        var payload = DecodePayload(output.TrimEnd('\n').Split('\n')[^1]);
        Assert.Equal("3f2b8c1e-7d4a-4e52-9a0b-6c1d2e3f4a5b", payload.GetProperty("licenseId").GetString());
        Assert.Equal("2026-11-01T08:30:00Z", payload.GetProperty("issuedAt").GetString());
    }

    [Fact]
    public void Issue_OutFile_WritesOnlyTheKeyAndNeverOverwrites()
    {
        var outPath = _dir.Combine("license.txt");
        var payload = WritePayload(ValidPayload);

        var first = Run("issue", "--key", _dir.Combine("private.pem"), "--payload", payload, "--out", outPath);
        var written = File.ReadAllText(outPath);
        var second = Run("issue", "--key", _dir.Combine("private.pem"), "--payload", payload, "--out", outPath);

        Assert.Equal(0, first.Exit);
        Assert.Matches(@"^CRL1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$", written);
        Assert.DoesNotContain(written.Trim(), first.Out, StringComparison.Ordinal);
        Assert.Equal(2, second.Exit);
        Assert.Equal(written, File.ReadAllText(outPath));
        Assert.Single(Directory.GetFiles(_dir.Path, "*license*"));
    }

    [Theory]
    [InlineData("""{"product":"ravenscan"}""", "lacks the required field 'organizationId'")]
    [InlineData("""{"v":2,"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "v must be 1")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"foo","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "product 'foo' is unknown")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"EntraGuard","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "product 'EntraGuard' is unknown")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"gold","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "plan 'gold' is unknown")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":0,"expiresAt":"2027-01-01T00:00:00Z"}""", "maxUsers must be from 1 to 1000000")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1000001,"expiresAt":"2027-01-01T00:00:00Z"}""", "maxUsers must be from 1 to 1000000")]
    [InlineData("""{"organizationId":"Contoso Ltd","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":5,"expiresAt":"2027-01-01T00:00:00Z"}""", "organizationId may contain only")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":["Web_Scan"],"maxUsers":5,"expiresAt":"2027-01-01T00:00:00Z"}""", "characters of a-z, 0-9")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1.5,"expiresAt":"2027-01-01T00:00:00Z"}""", "maxUsers must be a whole number")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"issuedAt":"2026-11-01T00:00:00Z","expiresAt":"2026-10-01T00:00:00Z"}""", "must be after issuedAt")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2026-11-01T00:00:00Z"}""", "must be after issuedAt")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"issuedAt":"2026-10-01T00:00:00Z","expiresAt":"2026-11-01T00:00:00Z"}""", "already in the past")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"issuedAt":"2026-12-01T00:00:00Z","expiresAt":"2027-11-01T00:00:00Z"}""", "issuedAt 2026-12-01T00:00:00Z is in the future")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00+00:00"}""", "expiresAt must be an RFC 3339 UTC timestamp")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00.5Z"}""", "expiresAt must be an RFC 3339 UTC timestamp")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01"}""", "expiresAt must be an RFC 3339 UTC timestamp")]
    [InlineData("""{"organizationId":" o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "organizationId must not start or end with whitespace")]
    [InlineData("""{"organizationId":"o","organizationName":"n\u001b[31m","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "organizationName must not contain control characters")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":["a","a"],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "listed twice")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "lacks the required field 'features'")]
    [InlineData("""{"organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUser":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "unknown field 'maxUser'")]
    [InlineData("""{"organizationId":"o","organizationId":"p","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "'organizationId' twice")]
    [InlineData("""{"licenseId":"123","organizationId":"o","organizationName":"n","product":"ravenscan","plan":"standard","features":[],"maxUsers":1,"expiresAt":"2027-01-01T00:00:00Z"}""", "licenseId must be a UUID")]
    [InlineData("""[1,2]""", "one JSON object")]
    [InlineData("""{"organizationId":"o",}""", "not valid UTF-8 JSON")]
    public void Issue_BadPayload_ExitsTwoWithOneSentenceAndWritesNothing(string json, string expected)
    {
        var outPath = _dir.Combine("license.txt");

        var (exit, output, error) = Run("issue", "--key", _dir.Combine("private.pem"), "--payload", WritePayload(json), "--out", outPath);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.False(File.Exists(outPath));
    }

    [Fact]
    public void Issue_PublicKeyGiven_ExitsTwoNamingThePublicKey()
    {
        var (exit, _, error) = Run("issue", "--key", _dir.Combine("public.pem"), "--payload", WritePayload(ValidPayload));

        Assert.Equal(2, exit);
        Assert.Contains("holds a public key", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Issue_KeyOf1024Bits_ExitsTwo()
    {
        using var weak = RSA.Create(1024);
        var path = _dir.Combine("weak.pem");
        File.WriteAllText(path, weak.ExportRSAPrivateKeyPem());

        var (exit, _, error) = Run("issue", "--key", path, "--payload", WritePayload(ValidPayload));

        Assert.Equal(2, exit);
        Assert.Contains("1024 bits", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Issue_GarbageKeyFile_ExitsTwoWithoutEchoingIt()
    {
        var path = _dir.Combine("garbage.pem");
        File.WriteAllText(path, "-----BEGIN PRIVATE KEY-----\nU0VDUkVUU0VDUkVU\n-----END PRIVATE KEY-----\n");

        var (exit, _, error) = Run("issue", "--key", path, "--payload", WritePayload(ValidPayload));

        Assert.Equal(2, exit);
        Assert.Contains("no readable RSA private key", error, StringComparison.Ordinal);
        Assert.DoesNotContain("U0VDUkVU", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "Missing command")]
    [InlineData(new[] { "sign" }, "Unknown command 'sign'")]
    [InlineData(new[] { "issue", "--payload", "p.json" }, "issue needs --key")]
    [InlineData(new[] { "issue", "--key" }, "--key of issue needs a value")]
    [InlineData(new[] { "issue", "--key", "a", "--key", "b" }, "given twice")]
    [InlineData(new[] { "keygen", "--private", "a", "--public", "b", "--bits", "1024" }, "--bits must be 2048, 3072 or 4096")]
    [InlineData(new[] { "keygen", "--private", "a", "--public", "b", "--force" }, "Unknown option '--force' for keygen")]
    [InlineData(new[] { "inspect" }, "inspect needs the license file")]
    [InlineData(new[] { "inspect", "a", "b" }, "Unexpected argument 'b'")]
    public void Run_BadArguments_ExitsTwoWithOneSentence(string[] args, string expected)
    {
        var (exit, _, error) = Run(args);

        Assert.Equal(2, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Run_Help_PrintsUsageAndExitsZero()
    {
        var (exit, output, _) = Run("--help");

        Assert.Equal(0, exit);
        Assert.Contains("keygen --private FILE --public FILE", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Keygen_NewFiles_WritesPkcs8PrivateAndSpkiPublicThatMatch()
    {
        var (exit, _, _) = Run("keygen", "--private", _dir.Combine("k.pem"), "--public", _dir.Combine("k.pub.pem"), "--bits", "2048");

        Assert.Equal(0, exit);
        var privatePem = File.ReadAllText(_dir.Combine("k.pem"));
        var publicPem = File.ReadAllText(_dir.Combine("k.pub.pem"));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", privatePem, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", publicPem, StringComparison.Ordinal);
        using var privateKey = RSA.Create();
        privateKey.ImportFromPem(privatePem);
        using var publicKey = RSA.Create();
        publicKey.ImportFromPem(publicPem);
        Assert.Equal(2048, privateKey.KeySize);
        Assert.Equal(privateKey.ExportSubjectPublicKeyInfo(), publicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Keygen_Default_PrivateFileMode0600()
    {
        var (exit, _, _) = Run("keygen", "--private", _dir.Combine("k.pem"), "--public", _dir.Combine("k.pub.pem"));

        Assert.Equal(0, exit);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.Combine("k.pem")));
        Assert.False(File.GetUnixFileMode(_dir.Combine("k.pub.pem")).HasFlag(UnixFileMode.OtherWrite));
    }

    [Theory]
    [InlineData("private.pem", "new.pub.pem")]
    [InlineData("new.pem", "public.pem")]
    public void Keygen_ExistingFile_RefusesAndChangesNothing(string privateName, string publicName)
    {
        var before = File.ReadAllText(_dir.Combine("private.pem")) + File.ReadAllText(_dir.Combine("public.pem"));

        var (exit, _, error) = Run("keygen", "--private", _dir.Combine(privateName), "--public", _dir.Combine(publicName));

        Assert.Equal(2, exit);
        Assert.Contains("already exists", error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(_dir.Combine("private.pem")) + File.ReadAllText(_dir.Combine("public.pem")));
        Assert.Equal(2, Directory.GetFiles(_dir.Path).Length);
    }

    [Fact]
    public void Inspect_IssuedKeyWithSurroundingWhitespace_PrintsPayloadAndSaysUnverified()
    {
        using var rsa = RSA.Create(2048);
        var path = _dir.Combine("license.txt");
        File.WriteAllText(path, "\n  " + LicenseKeyWriter.Issue(rsa, LicenseKeyWriterTests.SamplePayload()) + "  \r\n");

        var (exit, output, error) = Run("inspect", path);

        Assert.Equal(0, exit);
        Assert.Equal("org-7f3a9c21", JsonDocument.Parse(output).RootElement.GetProperty("organizationId").GetString());
        Assert.Contains("Not verified", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_ControlAndBidiCharactersInSignedPayload_AreEscapedNotPrinted()
    {
        using var rsa = RSA.Create(2048);
        var path = _dir.Combine("license.txt");
        File.WriteAllText(path, LicenseKeyWriter.SignRaw(rsa, Encoding.UTF8.GetBytes("{\"organizationName\":\"a\\u001b[2Jb\u202Ec\"}")));

        var (exit, output, _) = Run("inspect", path);

        Assert.Equal(0, exit);
        Assert.DoesNotContain('\u001b', output);
        Assert.DoesNotContain('\u202E', output);
        Assert.Equal("a\u001b[2Jb\u202Ec", JsonDocument.Parse(output).RootElement.GetProperty("organizationName").GetString());
    }

    [Theory]
    [InlineData("CRL1.abc")]
    [InlineData("CRL2.e30.AAAA")]
    [InlineData("CRL1.e30=.AAAA")]
    [InlineData("CRL1._w.AAAA")]
    public void Inspect_MalformedKey_ExitsTwo(string key)
    {
        var path = _dir.Combine("license.txt");
        File.WriteAllText(path, key);

        var (exit, output, error) = Run("inspect", path);

        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }
}
