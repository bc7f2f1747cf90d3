using System.Security.Cryptography;

namespace CodeRaft.Admin.Features.Licenses;

/// <summary>A public key licenses can be checked against.</summary>
/// <param name="Fingerprint">Lowercase hex SHA-256 of the key's SubjectPublicKeyInfo (DER): the same value as
/// <c>openssl pkey -pubin -in key.pem -outform DER | sha256sum</c>.</param>
/// <param name="Source">"embedded" or the configured file's path.</param>
/// <param name="Trusted">False for a configured file key in Production: known, so a license it signed is refused as
/// "untrusted key" rather than "bad signature", but never accepted.</param>
public sealed record TrustedLicenseKey(RSA Key, string Fingerprint, string Source, bool Trusted);

/// <summary>
/// The license public keys (docs/licensing.md, "Trusted keys"):
///  - the keys embedded in this binary (Features/Licenses/TrustedKeys/*.pem) — the only ones Production trusts;
///  - the PEM files of <c>Licensing:TrustedPublicKeyFiles</c>, trusted only when the environment is not Production
///    (tests, demos, a vendor's staging). In Production they are still read, so that a license signed by one is
///    refused with the precise reason, and a warning says they are ignored.
/// Keys smaller than 2048 bits are refused. Nothing here touches the network.
/// </summary>
public sealed class TrustedLicenseKeys
{
    public const string ConfigurationKey = "Licensing:TrustedPublicKeyFiles";
    public const int MinimumKeyBits = 2048;
    public const string EmbeddedSource = "embedded";
    private const string ResourcePrefix = "CodeRaft.Admin.Licensing.TrustedKeys.";

    public TrustedLicenseKeys(IReadOnlyList<TrustedLicenseKey> keys) => Keys = keys;

    public IReadOnlyList<TrustedLicenseKey> Keys { get; }

    /// <summary>Reads the embedded keys and the configured files (quietly: the server's start-up check logs what is
    /// trusted, and the CLI keeps stderr for its one sentence). Throws <see cref="LicenseConfigurationException"/>
    /// (one sentence) for an unreadable or unsuitable configured file outside Production.</summary>
    public static TrustedLicenseKeys Load(IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        var keys = new List<TrustedLicenseKey>(Embedded());
        var production = environment.IsProduction();
        foreach (var path in ConfiguredFiles(configuration))
        {
            TrustedLicenseKey key;
            try
            {
                key = FromPem(File.ReadAllText(path), path, trusted: !production);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException or LicenseConfigurationException)
            {
                if (production)
                {
                    continue; // ignored in Production anyway; the server's start-up warning names the setting
                }

                throw new LicenseConfigurationException($"The license public key file \"{path}\" in {ConfigurationKey} cannot be used: {Sentence(e)}");
            }

            keys.Add(key);
        }

        return new TrustedLicenseKeys(keys);
    }

    /// <summary>The configured paths: an array (<c>Licensing__TrustedPublicKeyFiles__0</c>) or one path.</summary>
    public static IReadOnlyList<string> ConfiguredFiles(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(ConfigurationKey);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return [section.Value.Trim()];
        }

        return [.. section.GetChildren().Select(c => c.Value?.Trim()).Where(v => !string.IsNullOrEmpty(v)).Cast<string>()];
    }

    public static TrustedLicenseKey FromPem(string pem, string source, bool trusted)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (ArgumentException)
        {
            rsa.Dispose();
            throw new LicenseConfigurationException("it holds no RSA public key in PEM form.");
        }

        if (rsa.KeySize < MinimumKeyBits)
        {
            var bits = rsa.KeySize;
            rsa.Dispose();
            throw new LicenseConfigurationException($"the key has {bits} bits; license keys need at least {MinimumKeyBits}.");
        }

        // Only the public half is kept, whatever the file held.
        var spki = rsa.ExportSubjectPublicKeyInfo();
        rsa.Dispose();
        var publicKey = RSA.Create();
        publicKey.ImportSubjectPublicKeyInfo(spki, out _);
        return new TrustedLicenseKey(publicKey, Convert.ToHexStringLower(SHA256.HashData(spki)), source, trusted);
    }

    private static IEnumerable<TrustedLicenseKey> Embedded()
    {
        var assembly = typeof(TrustedLicenseKeys).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            yield return FromPem(reader.ReadToEnd(), EmbeddedSource, trusted: true);
        }
    }

    private static string Sentence(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "the file does not exist.",
        UnauthorizedAccessException => "the file cannot be read (permissions).",
        LicenseConfigurationException => e.Message,
        _ => "it holds no RSA public key in PEM form.",
    };
}

/// <summary>A license setting that cannot be used; the message is one sentence for the log or the CLI's stderr.</summary>
public sealed class LicenseConfigurationException(string message) : Exception(message);
