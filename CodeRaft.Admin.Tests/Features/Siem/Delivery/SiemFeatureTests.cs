using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Delivery;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CodeRaft.Admin.Tests.Features.Siem.Delivery;

public sealed class SiemFeatureTests
{
    [Fact]
    public async Task AddSiem_Server_EngineIsHostedAndIsTheDeliveryControl()
    {
        using var factory = new AdminAppFactory();
        var services = factory.Services;

        var control = services.GetRequiredService<ISiemDeliveryControl>();
        Assert.Same(services.GetRequiredService<SiemDeliveryEngine>(), control);
        Assert.Contains(services.GetServices<IHostedService>(), s => ReferenceEquals(s, control));
        Assert.IsType<SiemSenderFactory>(services.GetRequiredService<ISiemSenderFactory>());
        Assert.Empty(await control.StatusAsync());
    }

    [Fact]
    public async Task AddSiemCore_CliStore_FactoriesWithoutEngine()
    {
        using var data = new TempDirectory();
        await using var store = await TestStore.StartAsync(data.Path, TestSecrets.NewMasterSecret());

        Assert.NotNull(store.Services.GetService<ISiemSenderFactory>());
        Assert.NotNull(store.Services.GetService<ISiemFormatterFactory>());
        Assert.Null(store.Services.GetService<ISiemDeliveryControl>());
    }
}
