using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Checkpoints;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Features.Audit.Viewer;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.Bench.Audit;

/// <summary>
/// The portal's real store without the web server, built the way the CLI builds it (settings → key ring →
/// migrations → audit signer): SQLite file in <see cref="DataDirectory"/>, synchronous=FULL through the app's
/// interceptor. Nothing here is a stand-in: the writer, verifier and query service are the app's singletons.
/// </summary>
internal sealed class BenchStore : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private BenchStore(ServiceProvider services, string dataDirectory)
    {
        _services = services;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public string ConnectionString => _services.GetRequiredService<AdminSettings>().ConnectionString;

    public IDbContextFactory<AdminDbContext> Contexts => _services.GetRequiredService<IDbContextFactory<AdminDbContext>>();

    public AuditWriter Writer => _services.GetRequiredService<AuditWriter>();

    public AuditVerifier Verifier => _services.GetRequiredService<AuditVerifier>();

    public AuditQueryService Queries => _services.GetRequiredService<AuditQueryService>();

    public AuditCheckpointSigner Signer => _services.GetRequiredService<AuditCheckpointSigner>();

    public static async Task<BenchStore> StartAsync(string dataDirectory, string masterSecret, CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:DataDirectory"] = dataDirectory,
                ["Database:Provider"] = "Sqlite",
                ["CODERAFT_MASTER_SECRET"] = masterSecret,
            })
            .Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IHostEnvironment>(new BenchHostEnvironment(dataDirectory))
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddAdminCore()
            .BuildServiceProvider();
        var store = new BenchStore(services, dataDirectory);
        try
        {
            await AdminRuntime.InitializeAsync(services, cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>A PRAGMA's value as a connection of the app's own context sees it (the interceptor has run).</summary>
    public async Task<string> ReadPragmaAsync(string pragma, CancellationToken cancellationToken)
    {
        await using var db = await Contexts.CreateDbContextAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync(); // the writer drains its queue first
        SqliteConnection.ClearAllPools(); // release the file handles so the directory can be deleted
    }

    private sealed class BenchHostEnvironment(string contentRoot) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = Environments.Production;
        public string ApplicationName { get; set; } = "CodeRaft.Admin";
        public string ContentRootPath { get; set; } = contentRoot;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
