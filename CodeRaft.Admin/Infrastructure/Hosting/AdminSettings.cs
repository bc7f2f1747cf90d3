using Microsoft.Data.Sqlite;
using Npgsql;

namespace CodeRaft.Admin.Infrastructure.Hosting;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The storage settings of CONTRACTS §1, resolved and validated once. Reading them creates nothing on disk:
/// every problem is reported before the first directory or file is made, so a bad configuration leaves no trace.
/// </summary>
public sealed record AdminSettings(string DataDirectory, DatabaseProvider Provider, string ConnectionString, bool IsProduction)
{
    public const string SqliteFileName = "coderaft-admin.db";

    public static AdminSettings FromConfiguration(IConfiguration configuration, IHostEnvironment environment)
    {
        var dataDirectory = configuration["Storage:DataDirectory"];
        if (string.IsNullOrWhiteSpace(dataDirectory))
        {
            dataDirectory = "data";
        }

        string fullDataDirectory;
        try
        {
            fullDataDirectory = Path.GetFullPath(dataDirectory, environment.ContentRootPath);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new AdminStartupException($"Storage:DataDirectory '{dataDirectory}' is not a valid path.", inner: ex);
        }

        var providerText = configuration["Database:Provider"];
        var provider = string.IsNullOrWhiteSpace(providerText) ? DatabaseProvider.Sqlite : providerText.Trim() switch
        {
            var p when p.Equals("Sqlite", StringComparison.OrdinalIgnoreCase) => DatabaseProvider.Sqlite,
            var p when p.Equals("Postgres", StringComparison.OrdinalIgnoreCase) => DatabaseProvider.Postgres,
            var p when p.Equals("PostgreSQL", StringComparison.OrdinalIgnoreCase) => DatabaseProvider.Postgres,
            _ => throw new AdminStartupException(
                $"Database:Provider '{providerText}' is not supported; use Sqlite or Postgres."),
        };

        var connectionString = configuration.GetConnectionString("Admin");
        connectionString = provider switch
        {
            DatabaseProvider.Sqlite => ValidateSqlite(connectionString, fullDataDirectory),
            _ => ValidatePostgres(connectionString),
        };

        return new AdminSettings(fullDataDirectory, provider, connectionString, environment.IsProduction());
    }

    private static string ValidateSqlite(string? connectionString, string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(dataDirectory, SqliteFileName),
                Pooling = true,
            }.ToString();
        }

        try
        {
            var builder = new SqliteConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.DataSource))
            {
                throw new AdminStartupException("ConnectionStrings:Admin for SQLite has no Data Source.");
            }

            return builder.ToString();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new AdminStartupException("ConnectionStrings:Admin is not a valid SQLite connection string.", inner: ex);
        }
    }

    private static string ValidatePostgres(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new AdminStartupException("Database:Provider is Postgres but ConnectionStrings:Admin is not set.");
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new AdminStartupException("ConnectionStrings:Admin for PostgreSQL has no Host.");
            }

            return builder.ConnectionString;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException or InvalidCastException)
        {
            throw new AdminStartupException("ConnectionStrings:Admin is not a valid PostgreSQL connection string.", inner: ex);
        }
    }
}
