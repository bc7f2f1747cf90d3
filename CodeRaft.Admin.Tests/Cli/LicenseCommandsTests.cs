using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Cli;

/// <summary>
/// <c>license verify|install|list|remove</c> of the real binary, against a real store, in an environment that is not
/// Production with the test vendor's public key configured (<see cref="TestLicenses.Vendor"/>): the payload and
/// VALID/INVALID, exit codes 0/1/2, every refusal audited as <c>license.rejected</c> with its reason, changes as cli.
/// </summary>
public sealed class LicenseCommandsTests : IDisposable
{
    private const string Environment = "Staging";
    private readonly TempDirectory _work = new();
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _work.Dispose();

    private string DataDirectory => _work.Combine("data");

    private Task<AppProcess.Result> RunAsync(params string[] args) => RunInAsync(Environment, args);

    private Task<AppProcess.Result> RunInAsync(string environment, params string[] args) => RunWithKeyFileAsync(environment, TestLicenses.Vendor.PublicKeyFile, args);

    private Task<AppProcess.Result> RunWithKeyFileAsync(string environment, string keyFile, params string[] args) => AppProcess.RunAsync(_work.Path,
        AppProcess.Environment(DataDirectory, _secret, environment, ("Licensing__TrustedPublicKeyFiles__0", keyFile)), args);

    private string WriteFile(string name, string text) => WriteFile(name, Encoding.UTF8.GetBytes(text));

    private string WriteFile(string name, byte[] bytes)
    {
        var path = _work.Combine(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private Task<TestStore> OpenStoreAsync() =>
        TestStore.StartAsync(DataDirectory, _secret, environment: Environment, configuration: TestLicenses.Vendor.Configuration);

    private async Task<(List<InstalledLicense> Licenses, List<AuditEntry> Audit)> StoreAsync()
    {
        await using var store = await OpenStoreAsync();
        await using var db = await store.Contexts.CreateDbContextAsync();
        return (await db.Licenses.AsNoTracking().ToListAsync(),
            await db.AuditEntries.AsNoTracking().Where(e => e.Category == LicenseManagementCore.Category).OrderBy(e => e.Sequence).ToListAsync());
    }

    /// <summary>The key with its payload changed (maxUsers raised) and the original signature kept: a forgery.</summary>
    private static string Tampered(string key)
    {
        var parts = key.Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        payload["maxUsers"] = 100_000;
        return string.Join('.', parts[0], Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString())), parts[2]);
    }

    private static string Reason(AuditEntry entry) => JsonNode.Parse(entry.Details)!["reason"]!.GetValue<string>();

    [Fact]
    public async Task Verify_ValidFile_PrintsPayloadImpactAndValidExitsZero()
    {
        var payload = TestLicenses.Payload(maxUsers: 25);
        var file = WriteFile("license.txt", "\n  " + TestLicenses.Vendor.Issue(payload) + "  \n");

        var result = await RunAsync("license", "verify", file);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("VALID", result.StandardOutput.TrimEnd().Split('\n')[^1]);
        Assert.Contains($"\"licenseId\": \"{payload.LicenseId}\"", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"organizationId\": \"org-test\"", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("State: valid", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Seats: 25, 0 in use.", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("", result.StandardError);
        var (licenses, audit) = await StoreAsync();
        Assert.Empty(licenses); // verifying installs nothing
        Assert.Empty(audit);
    }

    [Fact]
    public async Task Verify_TamperedPayload_InvalidBadSignatureExitsOneAndIsAudited()
    {
        var payload = TestLicenses.Payload();
        var file = WriteFile("tampered.txt", Tampered(TestLicenses.Vendor.Issue(payload)));

        var result = await RunAsync("license", "verify", file);

        Assert.Equal(1, result.ExitCode);
        var last = result.StandardOutput.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("INVALID: The signature does not match", last, StringComparison.Ordinal);
        Assert.Contains("\"maxUsers\": 100000", result.StandardOutput, StringComparison.Ordinal); // what the forgery claims is shown
        var (licenses, audit) = await StoreAsync();
        Assert.Empty(licenses);
        var rejected = Assert.Single(audit);
        Assert.Equal(("license.rejected", "failure", "cli"), (rejected.Action, rejected.Outcome, rejected.ActorType));
        Assert.Equal("bad_signature", Reason(rejected));
        Assert.Equal(payload.LicenseId.ToString(), rejected.TargetId);
        Assert.DoesNotContain("CRL1.", rejected.Details, StringComparison.Ordinal); // the key is a credential
    }

    [Fact]
    public async Task Verify_MissingFile_ExitsTwoWithOneSentenceAndTouchesNothing()
    {
        var result = await RunAsync("license", "verify", _work.Combine("nope.lic"));

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"The license file {_work.Combine("nope.lic")} does not exist.", Assert.Single(result.ErrorLines));
        Assert.Equal("", result.StandardOutput);
        Assert.False(File.Exists(Path.Combine(DataDirectory, "coderaft-admin.db")));
    }

    [Fact]
    public async Task Verify_NamedPipe_ExitsTwoWithOneSentenceInsteadOfWaitingForever()
    {
        var fifo = _work.Combine("license.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
        }

        var result = await RunAsync("license", "verify", fifo);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("could not be read within 10 seconds", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-utf8", "INVALID: The license file is not text: it contains bytes that are not UTF-8.")]
    [InlineData("1mb", "INVALID: The license file is 1,000,000 bytes long")]
    public async Task Verify_FileRefusedByFileRules_InvalidMalformedExitsOneAndIsAudited(string kind, string expected)
    {
        var key = TestLicenses.Vendor.Issue();
        byte[] bytes = kind == "not-utf8"
            ? [.. Encoding.ASCII.GetBytes(key[..20]), 0xC3, 0x28, .. Encoding.ASCII.GetBytes(key[20..])]
            : [.. Encoding.ASCII.GetBytes(key), .. Enumerable.Repeat((byte)' ', 1_000_000 - key.Length)];
        var file = WriteFile("license.bin", bytes);

        var result = await RunAsync("license", "verify", file);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(expected, result.StandardOutput.TrimEnd().Split('\n')[^1], StringComparison.Ordinal);
        if (kind == "not-utf8")
        {
            Assert.Single(result.StandardOutput.TrimEnd().Split('\n')); // nothing decodes, so no payload is printed
        }

        var rejected = Assert.Single((await StoreAsync()).Audit);
        Assert.Equal(("license.rejected", "cli"), (rejected.Action, rejected.ActorType));
        Assert.Equal("malformed", Reason(rejected));
    }

    [Fact]
    public async Task Verify_FileOverOneMebibyte_ExitsTwoWithoutReadingIt()
    {
        var file = WriteFile("huge.bin", new byte[Admin.Cli.LicenseCommands.MaxFileBytes + 1]);

        var result = await RunAsync("license", "verify", file);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("is larger than 1 MiB", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstallThenList_SeatsInUse_ShowsStateSeatsAndIdAuditedAsCli()
    {
        await using (var store = await OpenStoreAsync())
        {
            await using var db = await store.Contexts.CreateDbContextAsync();
            for (var i = 0; i < 3; i++)
            {
                var user = AdminUser.Create($"u{i}@example.test", $"u{i}@example.test", $"User {i}", AdminRole.Viewer, AdminUserStatus.Active, DateTime.UtcNow);
                db.Users.Add(user);
                db.ProductAccess.Add(new ProductAccess { Id = Guid.NewGuid(), UserId = user.Id, Product = Product.EntraGuard, GrantedAt = DateTime.UtcNow, GrantedBy = "seed" });
            }

            await db.SaveChangesAsync();
        }

        var payload = TestLicenses.Payload(maxUsers: 10, plan: "standard");
        var file = WriteFile("license.txt", TestLicenses.Vendor.Issue(payload));

        var installed = await RunAsync("license", "install", file);
        Assert.Equal(0, installed.ExitCode);
        Assert.StartsWith("Installed the EntraGuard license for Test Org: 10 seats (3 in use)", installed.StandardOutput, StringComparison.Ordinal);
        var again = await RunAsync("license", "install", file);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("already installed", again.StandardOutput, StringComparison.Ordinal);

        var list = await RunAsync("license", "list");
        Assert.Equal(0, list.ExitCode);
        var lines = list.StandardOutput.TrimEnd().Split('\n');
        Assert.Equal(["PRODUCT", "STATE", "ORGANIZATION"], lines[0].Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[..3]);
        var entraguard = lines.Single(l => l.StartsWith("entraguard", StringComparison.Ordinal));
        Assert.Equal(["entraguard", "valid (development)", "Test Org (org-test)", "standard", "3/10", payload.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), payload.LicenseId.ToString()],
            entraguard.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(lines, l => l.StartsWith("ravenscan", StringComparison.Ordinal) && l.Contains("unlicensed", StringComparison.Ordinal));

        var (licenses, audit) = await StoreAsync();
        Assert.Equal(payload.LicenseId, Assert.Single(licenses).LicenseId);
        var entry = Assert.Single(audit);
        Assert.Equal(("license.installed", "success", "cli"), (entry.Action, entry.Outcome, entry.ActorType));
    }

    [Fact]
    public async Task Install_OtherOrganization_InvalidOnStderrExitsOneAndIsAudited()
    {
        Assert.Equal(0, (await RunAsync("license", "install", WriteFile("a.txt", TestLicenses.Vendor.Issue()))).ExitCode);

        var result = await RunAsync("license", "install", WriteFile("b.txt", TestLicenses.Vendor.Issue(product: "ravenscan", organization: "org-other")));

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("INVALID: The license is for the organization", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        var (licenses, audit) = await StoreAsync();
        Assert.Equal("entraguard", Assert.Single(licenses).Product);
        Assert.Equal("other_organization", Reason(audit.Single(a => a.Action == "license.rejected")));
    }

    [Fact]
    public async Task Install_InProductionWithConfiguredFileKey_InvalidUntrustedKey()
    {
        var file = WriteFile("license.txt", TestLicenses.Vendor.Issue());

        var result = await RunInAsync("Production", "license", "install", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.ErrorLines, l => l.StartsWith("INVALID: The license is signed by a key this portal does not trust", StringComparison.Ordinal));
        var (licenses, audit) = await StoreAsync();
        Assert.Empty(licenses);
        var rejected = Assert.Single(audit);
        Assert.Equal(("license.rejected", "cli"), (rejected.Action, rejected.ActorType));
        Assert.Equal("untrusted_key", Reason(rejected));
    }

    [Fact]
    public async Task Remove_InstalledLicense_RemovedKeptInHistoryAndAudited()
    {
        Assert.Equal(0, (await RunAsync("license", "install", WriteFile("license.txt", TestLicenses.Vendor.Issue()))).ExitCode);

        var removed = await RunAsync("license", "remove", "--product", "entraguard");
        Assert.Equal(0, removed.ExitCode);
        Assert.StartsWith("Removed the EntraGuard license.", removed.StandardOutput, StringComparison.Ordinal);
        var nothing = await RunAsync("license", "remove", "--product", "entraguard");
        Assert.Equal(0, nothing.ExitCode);
        Assert.Contains("Nothing was changed.", nothing.StandardOutput, StringComparison.Ordinal);
        var bad = await RunAsync("license", "remove", "--product", "EntraGuard Pro");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("--product must be one of entraguard, ravenscan, redfox-bastion.", Assert.Single(bad.ErrorLines));

        var list = await RunAsync("license", "list");
        Assert.Contains(list.StandardOutput.Split('\n'), l => l.StartsWith("entraguard", StringComparison.Ordinal) && l.Contains("unlicensed", StringComparison.Ordinal));
        var (licenses, audit) = await StoreAsync();
        Assert.Equal("removed", Assert.Single(licenses).RemovedHow);
        Assert.Equal(["license.installed", "license.removed"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal("cli", a.ActorType));
    }

    [Fact]
    public async Task List_UnreadableTrustedKeyFileOutsideProduction_ExitsTwoWithOneSentence()
    {
        var missing = _work.Combine("no-such-key.pem");

        var result = await RunWithKeyFileAsync(Environment, missing, "license", "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"The license public key file \"{missing}\" in Licensing:TrustedPublicKeyFiles cannot be used: the file does not exist.", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("license")]
    [InlineData("license", "frob")]
    [InlineData("license", "verify")]
    [InlineData("license", "verify", "a.lic", "b.lic")]
    [InlineData("license", "list", "--all")]
    public async Task License_UnknownSubcommandOrArguments_ExitsTwoWithUsageSentence(params string[] args)
    {
        var result = await RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.EndsWith("Run with --help for usage.", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
