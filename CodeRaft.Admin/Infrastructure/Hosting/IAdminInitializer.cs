namespace CodeRaft.Admin.Infrastructure.Hosting;

/// <summary>A feature's start-up step, run by <see cref="AdminRuntime"/> after the database and key ring are ready.</summary>
public interface IAdminInitializer
{
    Task InitializeAsync(CancellationToken cancellationToken);
}
