using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.LicenseIssuer;

namespace CodeRaft.Admin.Bench.Licenses;

/// <summary>
/// Verifying one RSA-2048 license key: the bare signature check (baseline: RSA.VerifyData over the signed bytes,
/// the irreducible cost), the portal's whole uncached verification (shape, base64url, signature against the trusted
/// keys — the embedded 3072-bit one and a 2048-bit test key — strict UTF-8, JSON, every field), and the cached path
/// every request takes once a key has been verified.
/// </summary>
public class LicenseBenchmarks
{
    private RSA _vendor = null!;
    private TrustedLicenseKeys _keys = null!;
    private LicenseVerifier _warm = null!;
    private string _key = null!;
    private byte[] _signed = null!;
    private byte[] _signature = null!;

    [GlobalSetup]
    public void Setup()
    {
        _vendor = RSA.Create(2048);
        var test = TrustedLicenseKeys.FromPem(_vendor.ExportSubjectPublicKeyInfoPem(), "bench", trusted: true);
        _keys = new TrustedLicenseKeys([.. EmbeddedKeys(), test]);
        var now = DateTimeOffset.UtcNow;
        _key = LicenseKeyWriter.Issue(_vendor, new LicensePayload(1, Guid.NewGuid(), "org-bench", "Bench Org", "entraguard", "enterprise",
            ["conditional-access", "identity-protection", "privileged-identity", "access-reviews"], 250,
            new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(now.Year + 1, now.Month, 1, 0, 0, 0, TimeSpan.Zero)));
        var parts = _key.Split('.');
        _signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        _signature = LicenseKeyWriter.FromBase64Url(parts[2]);
        _warm = new LicenseVerifier(_keys);
        if (_warm.Decode(_key).License is null || !RawSignatureCheck() || Uncached() is null)
        {
            throw new InvalidOperationException("The benchmark's license must verify.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _vendor.Dispose();

    [Benchmark(Baseline = true)]
    public bool RawSignatureCheck() => _vendor.VerifyData(_signed, _signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>A fresh verifier each time, so nothing is cached: the cost of the first check of a key.</summary>
    [Benchmark]
    public License? Uncached() => new LicenseVerifier(_keys).Decode(_key).License;

    /// <summary>What every later request pays for the same key.</summary>
    [Benchmark]
    public License? Cached() => _warm.Decode(_key).License;

    private static IEnumerable<TrustedLicenseKey> EmbeddedKeys()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
        return TrustedLicenseKeys.Load(configuration, new ProductionEnvironment()).Keys;
    }

    private sealed class ProductionEnvironment : Microsoft.Extensions.Hosting.IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";
        public string ApplicationName { get; set; } = "CodeRaft.Admin";
        public string ContentRootPath { get; set; } = "/";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
