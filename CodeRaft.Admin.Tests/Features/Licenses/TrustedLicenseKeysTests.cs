using System.Security.Cryptography;
using CodeRaft.Admin.Features.Licenses;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace CodeRaft.Admin.Tests.Features.Licenses;

public sealed class TrustedLicenseKeysTests : IDisposable
{
    private readonly TempDirectory _dir = new("coderaft-license-keys");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Load_NoConfiguration_OnlyTheEmbeddedKeysTrusted()
    {
        var keys = Load("Production", []);

        var embedded = Assert.Single(keys.Keys);
        Assert.True(embedded.Trusted);
        Assert.Equal("embedded", embedded.Source);
        Assert.True(embedded.Key.KeySize >= TrustedLicenseKeys.MinimumKeyBits);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(embedded.Key.ExportSubjectPublicKeyInfo())), embedded.Fingerprint);
    }

    [Theory]
    [InlineData("Development", true)]
    [InlineData("Staging", true)]
    [InlineData("Production", false)]
    public void Load_ConfiguredFile_TrustedOnlyOutsideProduction(string environment, bool trusted)
    {
        var keys = Load(environment, [TestLicenses.Vendor.PublicKeyFile]);

        Assert.Equal(trusted, keys.Keys.Single(k => k.Source == TestLicenses.Vendor.PublicKeyFile).Trusted);
    }

    [Fact]
    public void Load_PrivateKeyFile_OnlyThePublicHalfIsKept()
    {
        var path = Write("private.pem", TestLicenses.Other.Key.ExportPkcs8PrivateKeyPem());

        var key = Load("Development", [path]).Keys.Single(k => k.Source == path);

        Assert.Throws<CryptographicException>(() => key.Key.ExportParameters(includePrivateParameters: true));
    }

    [Theory]
    [InlineData("missing.pem", null, "does not exist")]
    [InlineData("garbage.pem", "not a key", "no RSA public key")]
    [InlineData("small.pem", "1024", "at least 2048")]
    public void Load_UnusableFileOutsideProduction_RefusedWithOneSentence(string name, string? content, string expected)
    {
        using var small = RSA.Create(1024);
        var path = content is null ? Path.Combine(_dir.Path, name) : Write(name, content == "1024" ? small.ExportSubjectPublicKeyInfoPem() : content);

        var error = Assert.Throws<LicenseConfigurationException>(() => Load("Development", [path]));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnusableFileInProduction_IgnoredLikeEveryFileThere()
    {
        var keys = Load("Production", [Path.Combine(_dir.Path, "missing.pem")]);

        Assert.All(keys.Keys, k => Assert.Equal("embedded", k.Source));
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir.Path, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static TrustedLicenseKeys Load(string environment, string[] files)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(files.Select((f, i) => KeyValuePair.Create($"{TrustedLicenseKeys.ConfigurationKey}:{i}", (string?)f))).Build();
        return TrustedLicenseKeys.Load(configuration, new Environment(environment));
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "CodeRaft.Admin";
        public string ContentRootPath { get; set; } = "/";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
