using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using CodeRaft.Admin.Security.Encryption;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;

namespace CodeRaft.Admin.E2E.Fixtures;

/// <summary>
/// The real portal on real Kestrel (a browser cannot talk to TestServer), on 127.0.0.1 and a port the OS picks,
/// with its own empty data directory and master secret. Program.cs runs unchanged, including
/// InitializeAdminAsync between Build() and Run().
/// </summary>
public sealed class AdminAppFixture : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _masterSecret = RandomNumberGenerator.GetString(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);

    public AdminAppFixture()
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), $"coderaft-e2e-{Guid.NewGuid():N}");

        // Here, not in ConfigureWebHost: UseKestrel must be called before the factory initializes, and a factory
        // made by WithWebHostBuilder would ignore the port.
        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
    }

    /// <summary>The portal's Storage:DataDirectory; deleted when the fixture is disposed.</summary>
    public string DataDirectory { get; }

    /// <summary>http://127.0.0.1:{port}/ once started.</summary>
    public Uri BaseAddress => ClientOptions.BaseAddress;

    /// <summary>How long StartServer took: host build, database and key ring initialization, Kestrel bind.</summary>
    public TimeSpan StartupTime { get; private set; }

    public Task InitializeAsync()
    {
        var stopwatch = Stopwatch.StartNew();
        StartServer();
        StartupTime = stopwatch.Elapsed;
        return Task.CompletedTask;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        DeleteDataDirectory();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // As `dotnet run`: static web assets (MudBlazor's _content/ included) come from the build's manifests.
        builder.UseEnvironment("Development");
        builder.UseSetting("Storage:DataDirectory", DataDirectory);
        builder.UseSetting(MasterSecretProvider.EnvironmentVariable, _masterSecret);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        DeleteDataDirectory();
    }

    private void DeleteDataDirectory()
    {
        // Pooled SQLite connections keep the database file open.
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
