using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Tools.LicenseIssuer;

/// <summary>The tool as a vendor runs it: <c>dotnet CodeRaft.LicenseIssuer.dll ...</c> in a real process.</summary>
public sealed class IssuerProcessTests : IDisposable
{
    private readonly TempDirectory _dir = new("license-issuer-process");

    public void Dispose() => _dir.Dispose();

    private static string ToolDll { get; } = Path.Combine(AppContext.BaseDirectory, "CodeRaft.LicenseIssuer.dll");

    private static string ExamplePayload { get; } = Path.Combine(FindRepositoryRoot(), "tools", "CodeRaft.LicenseIssuer", "examples", "entraguard-enterprise.json");

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Admin.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Admin.sln not found above the test binaries.");
    }

    private static async Task<AppProcess.Result> RunToolAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ToolDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new AppProcess.Result(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Cli_KeygenIssueInspect_ProducesAVerifiableLicense()
    {
        var privatePath = _dir.Combine("vendor.pem");
        var publicPath = _dir.Combine("vendor.pub.pem");

        var keygen = await RunToolAsync("keygen", "--private", privatePath, "--public", publicPath, "--bits", "2048");
        var issue = await RunToolAsync("issue", "--key", privatePath, "--payload", ExamplePayload);

        Assert.Equal(0, keygen.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(privatePath));
        Assert.Equal(0, issue.ExitCode);
        Assert.Equal("", issue.StandardError);
        var license = issue.StandardOutput.TrimEnd('\n').Split('\n')[^1];
        Assert.Matches(@"^CRL1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$", license);

        using var publicKey = RSA.Create();
        publicKey.ImportFromPem(await File.ReadAllTextAsync(publicPath));
        var lastDot = license.LastIndexOf('.');
        Assert.True(publicKey.VerifyData(
            Encoding.ASCII.GetBytes(license[..lastDot]),
            LicenseKeyWriterTests.DecodeIndependently(license[(lastDot + 1)..]),
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1));

        var licensePath = _dir.Combine("license.txt");
        await File.WriteAllTextAsync(licensePath, license + "\n");
        var inspect = await RunToolAsync("inspect", licensePath);

        Assert.Equal(0, inspect.ExitCode);
        var payload = JsonDocument.Parse(inspect.StandardOutput).RootElement;
        Assert.Equal("entraguard", payload.GetProperty("product").GetString());
        Assert.Equal("enterprise", payload.GetProperty("plan").GetString());
        Assert.Equal(250, payload.GetProperty("maxUsers").GetInt32());
    }

    [Theory]
    [InlineData("unknown-product")]
    [InlineData("missing-file")]
    [InlineData("expires-before-issued")]
    public async Task Cli_BadPayload_ExitsTwoWithOneLineAndNoFile(string problem)
    {
        using (var rsa = RSA.Create(2048))
        {
            await File.WriteAllTextAsync(_dir.Combine("vendor.pem"), rsa.ExportPkcs8PrivateKeyPem());
        }

        var json = await File.ReadAllTextAsync(ExamplePayload);
        var payloadPath = _dir.Combine("payload.json");
        switch (problem)
        {
            case "unknown-product":
                await File.WriteAllTextAsync(payloadPath, json.Replace("\"entraguard\"", "\"skynet\"", StringComparison.Ordinal));
                break;
            case "expires-before-issued":
                await File.WriteAllTextAsync(payloadPath, json.Replace("\"maxUsers\"", "\"issuedAt\": \"2026-01-02T00:00:00Z\", \"maxUsers\"", StringComparison.Ordinal)
                    .Replace("2027-11-30T00:00:00Z", "2026-01-01T00:00:00Z", StringComparison.Ordinal));
                break;
        }

        var outPath = _dir.Combine("license.txt");
        var result = await RunToolAsync("issue", "--key", _dir.Combine("vendor.pem"), "--payload", payloadPath, "--out", outPath);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.DoesNotContain(" at ", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(outPath));
        Assert.Equal(problem == "missing-file" ? 1 : 2, Directory.GetFiles(_dir.Path).Length);
    }

    [Fact]
    public async Task Cli_KeygenOverExistingFile_ExitsTwoAndKeepsTheFile()
    {
        var privatePath = _dir.Combine("vendor.pem");
        await File.WriteAllTextAsync(privatePath, "keep me");

        var result = await RunToolAsync("keygen", "--private", privatePath, "--public", _dir.Combine("vendor.pub.pem"));

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Equal("keep me", await File.ReadAllTextAsync(privatePath));
        Assert.False(File.Exists(_dir.Combine("vendor.pub.pem")));
    }
}
