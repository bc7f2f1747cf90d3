namespace CodeRaft.Admin.Features.Dashboard;

public static class DashboardFeature
{
    public static IServiceCollection AddDashboard(this IServiceCollection services)
    {
        services.AddSingleton<DashboardStatisticsService>();
        return services;
    }
}
