using CodeRaft.Admin.Features.Siem.Delivery;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CodeRaft.Admin.Features.Siem;

public static class SiemFeature
{
    /// <summary>Shared by the server and the CLI: formatters and senders (the CLI's <c>siem test</c>), no delivery.</summary>
    public static IServiceCollection AddSiemCore(this IServiceCollection services)
    {
        services.AddOptions<SiemDeliveryOptions>().BindConfiguration("Siem:Delivery");
        services.TryAddSingleton<ISiemSenderFactory, SiemSenderFactory>();
        return services;
    }

    /// <summary>Server only: the delivery engine as a hosted service, also the console's <see cref="ISiemDeliveryControl"/>.</summary>
    public static IServiceCollection AddSiem(this IServiceCollection services)
    {
        services.AddSiemCore();
        services.AddSingleton<SiemDeliveryEngine>();
        services.AddSingleton<ISiemDeliveryControl>(sp => sp.GetRequiredService<SiemDeliveryEngine>());
        services.AddHostedService(sp => sp.GetRequiredService<SiemDeliveryEngine>());
        return services;
    }
}
