using System.Security.Cryptography;
using CodeRaft.Admin.Infrastructure.Hosting;

namespace CodeRaft.Admin.Security.Encryption;

public enum MasterSecretSource
{
    Environment,
    File,
    DevelopmentFile,
}

public sealed record MasterSecret(string Value, MasterSecretSource Source, string? FilePath)
{
    public override string ToString() => $"MasterSecret({Source})"; // never the value
}

/// <summary>
/// Finds the master secret (CONTRACTS §1): <c>CODERAFT_MASTER_SECRET</c>, else the file named by
/// <c>Encryption:MasterSecretFile</c>, else — Development only — a generated <c>{DataDirectory}/master-secret.dev</c>.
/// Production without a secret refuses to start. The secret is used to derive the KEK and then dropped.
/// </summary>
public sealed class MasterSecretProvider(IConfiguration configuration, ILogger<MasterSecretProvider> logger)
{
    public const string EnvironmentVariable = "CODERAFT_MASTER_SECRET";
    public const string NewSecretEnvironmentVariable = "CODERAFT_NEW_MASTER_SECRET";
    public const string FileSetting = "Encryption:MasterSecretFile";
    public const string DevelopmentFileName = "master-secret.dev";
    public const int MinimumLength = 16;

    /// <summary>The configured secret, or null when none is configured. Reads only; creates nothing.</summary>
    public MasterSecret? ReadConfigured()
    {
        var fromEnvironment = configuration[EnvironmentVariable];
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return new MasterSecret(Validate(fromEnvironment, EnvironmentVariable), MasterSecretSource.Environment, null);
        }

        var path = configuration[FileSetting];
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        return new MasterSecret(Validate(ReadSecretFile(path, FileSetting), FileSetting), MasterSecretSource.File, path);
    }

    /// <summary>Refuses Production without a configured secret. Call before creating anything.</summary>
    public void EnsureAvailable(AdminSettings settings)
    {
        if (ReadConfigured() is null && settings.IsProduction)
        {
            throw new AdminStartupException(
                $"No master secret is configured: set the {EnvironmentVariable} environment variable or {FileSetting} (Production never generates one).");
        }
    }

    /// <summary>The configured secret; else, outside Production, the development secret (generated once).</summary>
    public MasterSecret Resolve(AdminSettings settings)
    {
        EnsureAvailable(settings);
        var configured = ReadConfigured();
        if (configured is not null)
        {
            return configured;
        }

        var path = Path.Combine(settings.DataDirectory, DevelopmentFileName);
        if (!File.Exists(path))
        {
            var generated = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            WriteSecretFile(path, generated);
            logger.LogWarning(
                "DEVELOPMENT MASTER SECRET GENERATED at {Path}. Anyone who can read this file can decrypt this installation's secrets. " +
                "Never use it in production: set {Variable} or {Setting} instead.", path, EnvironmentVariable, FileSetting);
        }
        else
        {
            logger.LogWarning("Using the DEVELOPMENT master secret from {Path}; this is not for production.", path);
        }

        return new MasterSecret(Validate(ReadSecretFile(path, path), path), MasterSecretSource.DevelopmentFile, path);
    }

    /// <summary>Writes a secret file readable by this user only (0600), replacing any previous one atomically.</summary>
    public static void WriteSecretFile(string path, string secret)
    {
        // A fresh file every time (CreateNew after deleting any leftover): an existing or planted ".tmp" would
        // keep its own mode and owner, and Create would follow a symlink.
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(secret);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static string ReadSecretFile(string path, string settingName)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new AdminStartupException($"The master secret file named by {settingName} ('{path}') cannot be read: {Plain(ex)}.", inner: ex);
        }
    }

    internal static string Validate(string secret, string source)
    {
        if (secret.Trim().Length < MinimumLength)
        {
            throw new AdminStartupException(
                $"The master secret from {source} is too short; use at least {MinimumLength} random characters (for example: openssl rand -base64 32).");
        }

        return secret.Trim();
    }

    private static string Plain(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "it does not exist",
        UnauthorizedAccessException => "permission denied",
        _ => ex.Message.TrimEnd('.'),
    };
}
