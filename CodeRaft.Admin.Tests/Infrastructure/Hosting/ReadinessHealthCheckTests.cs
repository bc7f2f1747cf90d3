using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Encryption;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CodeRaft.Admin.Tests.Infrastructure.Hosting;

public sealed class ReadinessHealthCheckTests : IDisposable
{
    private readonly TempDirectory _data = new();

    public void Dispose() => _data.Dispose();

    [Fact]
    public async Task Check_KeyRingLocked_Unhealthy()
    {
        await using var store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());
        using var locked = new KeyRing();

        var result = await new ReadinessHealthCheck(store.Contexts, locked).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("master key locked", result.Description);
    }

    [Fact]
    public async Task Check_DatabaseUnreachable_Unhealthy()
    {
        // A PostgreSQL store whose server is not there: nothing listens on this loopback port.
        var settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:Admin"] = $"Host=127.0.0.1;Port={AppProcess.FreePort()};Username=x;Password=y;Timeout=2",
        };
        await using var unreachable = TestStore.CreateUninitialized(_data.Path, settings);
        await using var store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

        var result = await new ReadinessHealthCheck(unreachable.Contexts, store.Get<KeyRing>()).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal("database unreachable", result.Description);
    }

    [Fact]
    public async Task Check_Started_Healthy()
    {
        await using var store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret());

        var result = await new ReadinessHealthCheck(store.Contexts, store.Get<KeyRing>()).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
    }
}
