using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Encryption;

namespace CodeRaft.Admin.Cli;

/// <summary>
/// The services a command needs, built from the same configuration sources as the server (appsettings.json,
/// appsettings.{Environment}.json, environment variables), with logs on stderr so stdout stays parseable.
/// </summary>
public sealed class CliHost : IAsyncDisposable
{
    private readonly IHost _host;

    private CliHost(IHost host, MasterSecret secret)
    {
        _host = host;
        MasterSecret = secret;
    }

    public IServiceProvider Services => _host.Services;

    /// <summary>The secret the key ring was unlocked with (rotation needs it once more).</summary>
    public MasterSecret MasterSecret { get; }

    public static async Task<CliHost> StartAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = Directory.GetCurrentDirectory(),
            EnvironmentName = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
                ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAdminCore();
        var host = builder.Build();
        try
        {
            var secret = await AdminRuntime.InitializeAsync(host.Services, cancellationToken);
            return new CliHost(host, secret);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }
}
