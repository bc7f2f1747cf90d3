using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>
/// The portal's real store (settings → key ring → migrations) without the web server, built exactly like the
/// CLI builds it. One instance is one "process" of the portal against a data directory or database.
/// </summary>
public sealed class TestStore : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private TestStore(ServiceProvider services) => _services = services;

    public IServiceProvider Services => _services;

    public IDbContextFactory<AdminDbContext> Contexts => _services.GetRequiredService<IDbContextFactory<AdminDbContext>>();

    public T Get<T>()
        where T : notnull => _services.GetRequiredService<T>();

    public static async Task<TestStore> StartAsync(string dataDirectory, string masterSecret, string? postgresConnectionString = null, string environment = "Production", TimeProvider? time = null,
        IReadOnlyDictionary<string, string?>? configuration = null)
    {
        var settings = new Dictionary<string, string?>(configuration ?? new Dictionary<string, string?>()) { ["CODERAFT_MASTER_SECRET"] = masterSecret };
        if (postgresConnectionString is not null)
        {
            settings["Database:Provider"] = "Postgres";
            settings["ConnectionStrings:Admin"] = postgresConnectionString;
        }

        var store = CreateUninitialized(dataDirectory, settings, environment, time);
        try
        {
            await AdminRuntime.InitializeAsync(store.Services);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>The services only: nothing opened, nothing created.</summary>
    public static TestStore CreateUninitialized(string dataDirectory, IDictionary<string, string?> settings, string environment = "Production", TimeProvider? time = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:DataDirectory"] = dataDirectory })
            .AddInMemoryCollection(settings)
            .Build();
        return new TestStore(new ServiceCollection()
            .AddSingleton(time ?? TimeProvider.System)
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IHostEnvironment>(new TestHostEnvironment(environment, dataDirectory))
            .AddLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .AddAdminCore()
            .BuildServiceProvider());
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        // Every PostgreSQL test has a database (and so a pool) of its own: idle connections of finished tests would
        // otherwise pile up until the throwaway cluster refuses new clients.
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    private sealed class TestHostEnvironment(string name, string contentRoot) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "CodeRaft.Admin";
        public string ContentRootPath { get; set; } = contentRoot;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
