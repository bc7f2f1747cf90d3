using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Encryption;

namespace CodeRaft.Admin.Infrastructure.Hosting;

/// <summary>
/// The start-up sequence shared by the server and the CLI. Each step checks before it creates, so a bad
/// configuration stops with one sentence and leaves nothing half-made:
/// settings → configured secret readable → data directory writable → (dev secret) → database + key ring.
/// </summary>
public static class AdminRuntime
{
    public static async Task<MasterSecret> InitializeAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var settings = services.GetRequiredService<AdminSettings>();
        var secrets = services.GetRequiredService<MasterSecretProvider>();
        secrets.EnsureAvailable(settings);
        EnsureWritableDirectory(settings.DataDirectory);
        var secret = secrets.Resolve(settings);
        await services.GetRequiredService<DatabaseInitializer>().InitializeAsync(secret.Value, cancellationToken);
        foreach (var initializer in services.GetServices<IAdminInitializer>())
        {
            await initializer.InitializeAsync(cancellationToken);
        }

        return secret;
    }

    internal static void EnsureWritableDirectory(string directory)
    {
        try
        {
            // The directory holds the database (password and recovery-code hashes, the audit log) and secret
            // files: readable by this user only.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var probe = Path.Combine(directory, $".write-probe-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AdminStartupException(
                $"Storage:DataDirectory '{directory}' is not writable by this process; create it and give this user write access, or point the setting elsewhere.", inner: ex);
        }
    }
}
