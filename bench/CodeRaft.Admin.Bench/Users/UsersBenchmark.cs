using System.Data.Common;
using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using CodeRaft.Admin.Bench.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Features.Users.Directory;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using static CodeRaft.Admin.Bench.Audit.Figures;

namespace CodeRaft.Admin.Bench.Users;

/// <summary>
/// Issue 5 goal "Users page with 10,000 users: first page and a filtered page p95 &lt; 150 ms server time". Server
/// time of the page's data is the duration of <see cref="UserDirectoryService.GetPageAsync"/> (its own context,
/// count, page and product-seat queries), on the app's real SQLite store (synchronous=FULL, the encryption
/// interceptor) holding 10,000 users with mixed roles and statuses, MFA, product seats, and 50,000 audit entries.
/// Baselines in the same run, interleaved call by call: the same three statements written by hand and prepared in
/// raw Microsoft.Data.Sqlite on one open connection, and a bare <c>SELECT … LIMIT 25</c>.
/// With <see cref="PostgresVariable"/> set, the same users and scenarios run on a fresh PostgreSQL database too
/// (baseline there: the bare statement through Npgsql; the plans are PostgreSQL's EXPLAIN of the service's own SQL).
/// </summary>
internal static class UsersBenchmark
{
    public const int Users = 10_000;
    public const double MaximumPageP95Milliseconds = 150.0;
    private const int AuditEntries = 50_000;
    private const int WarmupCalls = 5;
    private const int MeasuredCalls = 200;
    private const int DetailCalls = 100;
    private const string Search = "son";

    private sealed record Scenario(string Name, UserQuery Query, bool Goal);

    /// <summary>Set to a PostgreSQL superuser connection string to measure the PostgreSQL provider too.</summary>
    public const string PostgresVariable = "CODERAFT_BENCH_POSTGRES";

    public static async Task<int> RunAsync()
    {
        if (typeof(UserDirectoryService).Assembly.GetCustomAttribute<DebuggableAttribute>()?.IsJITOptimizerDisabled == true)
        {
            await Console.Error.WriteLineAsync("The app was built without optimizations, so Users page figures would mean little; run with -c Release.");
            return 1;
        }

        var root = Directory.CreateTempSubdirectory("coderaft-bench-users-");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            var masterSecret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            int exitCode;
            await using (var store = await BenchStore.StartAsync(Path.Combine(root.FullName, "sqlite"), masterSecret, timeout.Token))
            {
                using var raw = new SqliteRaw(store.ConnectionString);
                exitCode = await MeasureAsync("SQLite", store.Contexts, store.Writer, raw, () => DatabaseBytes(store.DataDirectory), timeout.Token);
            }

            var postgres = Environment.GetEnvironmentVariable(PostgresVariable);
            if (string.IsNullOrWhiteSpace(postgres))
            {
                Console.WriteLine($"users (PostgreSQL): not measured; set {PostgresVariable} to a superuser connection string to measure it.");
                return exitCode;
            }

            await using var pg = await PostgresBenchStore.StartAsync(Path.Combine(root.FullName, "postgres"), masterSecret, postgres, timeout.Token);
            using var pgRaw = new PostgresRaw(pg.ConnectionString);
            return Math.Max(exitCode, await MeasureAsync("PostgreSQL", pg.Contexts, pg.Writer, pgRaw, pg.DatabaseBytes, timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("The Users benchmark did not finish within 10 minutes and was stopped.");
            return 1;
        }
        catch (Startup.BenchmarkFailedException ex)
        {
            await Console.Error.WriteLineAsync($"users: {ex.Message}");
            return 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Npgsql.NpgsqlConnection.ClearAllPools();
            try
            {
                root.Delete(recursive: true);
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"Could not remove {root.FullName}: {ex.Message}");
            }
        }
    }

    private static long DatabaseBytes(string directory) => Directory.GetFiles(directory, "*.db*").Sum(f => new FileInfo(f).Length);

    private static async Task<int> MeasureAsync(string provider, IDbContextFactory<AdminDbContext> contexts, AuditWriter writer, IRawDirectory raw,
        Func<long> databaseBytes, CancellationToken ct)
    {
        var seeding = Stopwatch.StartNew();
        var seeded = await UserSeeder.SeedAsync(contexts, Users, ct);
        var ids = seeded.Ids;
        var random = new Random(5);
        for (var batch = 0; batch < AuditEntries / 1000; batch++)
        {
            await writer.AppendBatchAsync([.. Enumerable.Range(0, 1000).Select(_ => AuditEvent(ids, random))], ct);
        }

        seeding.Stop();
        raw.Analyze();
        Console.WriteLine(Invariant(
            $"users ({provider}): {Environment.ProcessorCount} cores; {Users:N0} users ({seeded.Administrators:N0} Administrators, {seeded.Disabled:N0} disabled, {seeded.Enrolled:N0} with MFA, {seeded.Seats:N0} product seats) and {AuditEntries:N0} audit entries naming them, seeded in {seeding.Elapsed.TotalSeconds:F1} s; database {databaseBytes() / 1e6:F1} MB"));

        var service = new UserDirectoryService(contexts, TimeProvider.System);
        Scenario[] scenarios =
        [
            new("first page (name A-Z, 25 rows)", new UserQuery(), Goal: true),
            new($"role=Administrator + product=EntraGuard + search \"{Search}\"", new UserQuery { Role = AdminRole.Administrator, Product = Product.EntraGuard, Search = Search }, Goal: true),
            new("last page by name (offset 9,975)", new UserQuery { PageIndex = (Users / 25) - 1 }, Goal: false),
            new($"search \"{Search}\" only", new UserQuery { Search = Search }, Goal: false),
            new("status=Active + MFA not enrolled", new UserQuery { Status = AdminUserStatus.Active, MfaEnrolled = false }, Goal: false),
            new("sorted by last sign-in, newest first", new UserQuery { Sort = UserSort.LastSignIn, Descending = true }, Goal: false),
            new("sorted by role", new UserQuery { Sort = UserSort.Role }, Goal: false),
            new("100 rows per page", new UserQuery { PageSize = 100 }, Goal: false),
        ];

        using var capture = new CommandCapture();
        Console.WriteLine(Invariant(
            $"users ({provider}): {WarmupCalls} warm-up calls, then {MeasuredCalls} timed calls per scenario, interleaved: UserDirectoryService.GetPageAsync (EF Core, context per call){(raw.HasSameStatements ? " vs the same statements prepared in raw ADO.NET" : "")} vs a bare SELECT ... LIMIT 25"));
        var exitCode = 0;
        foreach (var scenario in scenarios)
        {
            var ours = new List<double>(MeasuredCalls);
            var same = new List<double>(MeasuredCalls);
            var bare = new List<double>(MeasuredCalls);
            for (var i = 0; i < WarmupCalls + MeasuredCalls; i++)
            {
                capture.Enabled = i == 0;
                var watch = Stopwatch.StartNew();
                var page = await service.GetPageAsync(scenario.Query, ct);
                var oursMs = watch.Elapsed.TotalMilliseconds;
                capture.Enabled = false;
                watch.Restart();
                var rawPage = raw.GetPage(scenario.Query);
                var sameMs = watch.Elapsed.TotalMilliseconds;
                watch.Restart();
                raw.Bare();
                var bareMs = watch.Elapsed.TotalMilliseconds;
                if (i == 0)
                {
                    Check(scenario, page, rawPage);
                }
                else if (i >= WarmupCalls)
                {
                    ours.Add(oursMs);
                    same.Add(sameMs);
                    bare.Add(bareMs);
                }
            }

            var p95 = Percentile(ours, 95);
            var sameText = raw.HasSameStatements ? Invariant($"raw same statements p50 {Median(same):F2} ms, p95 {Percentile(same, 95):F2} ms; ") : "";
            Console.WriteLine(Invariant(
                $"  {scenario.Name}: GetPageAsync p50 {Median(ours):F2} ms, p95 {p95:F2} ms, max {ours.Max():F2} ms; {sameText}bare SELECT LIMIT 25 p50 {Median(bare):F3} ms, p95 {Percentile(bare, 95):F3} ms"));
            if (scenario.Goal)
            {
                foreach (var (sql, plan) in raw.Plans(capture.Commands))
                {
                    Console.WriteLine($"    plan of the service's {sql}: {plan}");
                }

                var met = p95 < MaximumPageP95Milliseconds;
                var ratio = raw.HasSameStatements ? Invariant($"{p95 / Percentile(same, 95):F1} x the raw same statements, ") : "";
                Console.WriteLine(Invariant(
                    $"users page 10k {provider} ({scenario.Name}): p95 {p95:F2} ms = {ratio}{p95 / Percentile(bare, 95):F0} x a bare SELECT LIMIT 25 (goal < {MaximumPageP95Milliseconds:F0} ms): {Verdict(met)}"));
                exitCode = met ? exitCode : 1;
            }

            capture.Commands.Clear();
        }

        var detail = new List<double>(DetailCalls);
        for (var i = 0; i < WarmupCalls + DetailCalls; i++)
        {
            var id = ids[random.Next(ids.Count)];
            capture.Enabled = i == 0;
            var watch = Stopwatch.StartNew();
            _ = await service.GetDetailAsync(id, ct) ?? throw new Startup.BenchmarkFailedException($"GetDetailAsync found no user {id}.");
            capture.Enabled = false;
            if (i >= WarmupCalls)
            {
                detail.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        foreach (var (sql, plan) in raw.Plans(capture.Commands).Where(p => p.Sql.StartsWith("audit", StringComparison.Ordinal)).DistinctBy(p => p.Sql))
        {
            Console.WriteLine($"    plan of the detail's {sql}: {plan}");
        }

        Console.WriteLine(Invariant(
            $"users detail {provider} (reference, no goal): GetDetailAsync of random users (user, seats, recovery codes, 4 audit lookups over {AuditEntries:N0} entries by index): p50 {Median(detail):F2} ms, p95 {Percentile(detail, 95):F2} ms"));
        return exitCode;
    }

    /// <summary>Both sides must return the same page: same users in the same order, same total, same seats.</summary>
    private static void Check(Scenario scenario, UserPage page, (List<Guid> Ids, int Total, int Seats)? same)
    {
        if (same is not { } raw)
        {
            if (page.Rows.Count == 0 || page.Rows.Count > scenario.Query.PageSize)
            {
                throw new Startup.BenchmarkFailedException($"'{scenario.Name}': {page.Rows.Count} rows.");
            }

            return;
        }

        var sameRows = page.Rows.Select(r => r.Id).SequenceEqual(raw.Ids);
        var seats = page.Rows.Sum(r => r.Products.Count);
        if (!sameRows || page.TotalCount != raw.Total || seats != raw.Seats || page.Rows.Count == 0)
        {
            throw new Startup.BenchmarkFailedException(Invariant(
                $"'{scenario.Name}': the service and the raw statements disagree ({page.Rows.Count} rows, same order: {sameRows}, total {page.TotalCount} vs {raw.Total}, seats {seats} vs {raw.Seats})."));
        }
    }

    private static AuditEvent AuditEvent(IReadOnlyList<Guid> ids, Random random)
    {
        var user = ids[random.Next(ids.Count)].ToString();
        var actor = ids[random.Next(ids.Count)].ToString();
        return random.Next(3) switch
        {
            0 => new AuditEvent { Category = "auth", Action = "auth.password_verified", Actor = AuditActor.User(user, "bench"), SourceIp = "192.0.2.1" },
            1 => new AuditEvent { Category = "auth", Action = "totp.verified", Actor = AuditActor.User(user, ""), TargetType = "user", TargetId = user },
            _ => new AuditEvent { Category = "users", Action = "user.role_changed", Actor = AuditActor.User(actor, "bench"), TargetType = "user", TargetId = user },
        };
    }

    /// <summary>The statements EF Core sends while enabled (from its diagnostic events), to show their query plans.</summary>
    private sealed class CommandCapture : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly IDisposable _subscription;
        private readonly List<IDisposable> _listeners = [];

        public CommandCapture() => _subscription = DiagnosticListener.AllListeners.Subscribe(this);

        public bool Enabled { get; set; }

        public List<(string Sql, List<(string Name, object? Value)> Parameters)> Commands { get; } = [];

        public void OnNext(DiagnosticListener value)
        {
            if (value.Name == Microsoft.EntityFrameworkCore.DbLoggerCategory.Name)
            {
                _listeners.Add(value.Subscribe(this));
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (Enabled && value.Key == RelationalEventId.CommandExecuting.Name && value.Value is CommandEventData data)
            {
                Commands.Add((data.Command.CommandText, [.. data.Command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value))]));
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void Dispose()
        {
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }

            _subscription.Dispose();
        }
    }

    /// <summary>
    /// What the service asks, written by hand: count, page and the page's seats, prepared on one open connection
    /// with the same Unicode upper() the service registers.
    /// </summary>
    private sealed class SqliteRaw : IRawDirectory
    {
        private const string Columns = "id, display_name, email, user_name, role, status, totp_enabled_at IS NOT NULL, last_sign_in_at, created_at";
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _bare;
        private readonly Dictionary<string, SqliteCommand> _commands = [];

        public SqliteRaw(string connectionString)
        {
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
            _connection.Open();
            _connection.CreateFunction("upper", (string? value) => value?.ToUpperInvariant(), isDeterministic: true);
            _bare = Command($"SELECT {Columns} FROM users ORDER BY display_name LIMIT 25");
        }

        public void Bare()
        {
            using var reader = _bare.ExecuteReader();
            while (reader.Read())
            {
                _ = reader.GetString(0);
            }
        }

        public bool HasSameStatements => true;

        public void Analyze()
        {
        }

        public (List<Guid> Ids, int Total, int Seats)? GetPage(UserQuery query)
        {
            var (where, order) = Clauses(query);
            var count = Command($"SELECT COUNT(*) FROM users AS u {where}");
            Bind(count, query);
            var total = Convert.ToInt32(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            var page = Command($"SELECT {Columns} FROM users AS u {where} ORDER BY {order} LIMIT @take OFFSET @skip");
            Bind(page, query);
            page.Parameters["@take"].Value = query.PageSize;
            page.Parameters["@skip"].Value = query.PageIndex * query.PageSize;
            var ids = new List<Guid>(query.PageSize);
            using (var reader = page.ExecuteReader())
            {
                while (reader.Read())
                {
                    ids.Add(Guid.Parse(reader.GetString(0)));
                    _ = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                        reader.GetString(4), reader.GetString(5), reader.GetBoolean(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetString(8));
                }
            }

            var seats = 0;
            if (ids.Count > 0)
            {
                // One statement per page length, like EF's parameter list.
                using var products = _connection.CreateCommand();
                products.CommandText = $"SELECT user_id, product FROM user_product_access WHERE user_id IN ({string.Join(", ", ids.Select((_, i) => $"@id{i}"))})";
                for (var i = 0; i < ids.Count; i++)
                {
                    products.Parameters.AddWithValue($"@id{i}", ids[i].ToString().ToUpperInvariant());
                }

                using var reader = products.ExecuteReader();
                while (reader.Read())
                {
                    _ = (reader.GetString(0), reader.GetString(1));
                    seats++;
                }
            }

            return (ids, total, seats);
        }

        /// <summary>SQLite's plan for each captured statement, with its parameters, on this connection.</summary>
        public IEnumerable<(string Sql, string Plan)> Plans(IEnumerable<(string Sql, List<(string Name, object? Value)> Parameters)> commands)
        {
            foreach (var (sql, parameters) in commands)
            {
                using var explain = _connection.CreateCommand();
                explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
                foreach (var (name, value) in parameters)
                {
                    explain.Parameters.AddWithValue(name, value ?? DBNull.Value);
                }

                var steps = new List<string>();
                using (var reader = explain.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        steps.Add(reader.GetString(3));
                    }
                }

                yield return (Kind(sql), OneLine(steps));
            }
        }

        private static (string Where, string Order) Clauses(UserQuery query)
        {
            var conditions = new List<string>();
            if (query.Search is not null)
            {
                conditions.Add(@"(upper(u.display_name) LIKE @search ESCAPE '\' OR upper(u.email) LIKE @search ESCAPE '\' OR upper(u.user_name) LIKE @search ESCAPE '\')");
            }

            if (query.Role is not null)
            {
                conditions.Add("u.role = @role");
            }

            if (query.Status is not null)
            {
                conditions.Add("u.status = @status");
            }

            if (query.Product is not null)
            {
                conditions.Add("EXISTS (SELECT 1 FROM user_product_access AS p WHERE p.user_id = u.id AND p.product = @product)");
            }

            if (query.MfaEnrolled is { } enrolled)
            {
                conditions.Add(enrolled ? "u.totp_enabled_at IS NOT NULL" : "u.totp_enabled_at IS NULL");
            }

            var direction = query.Descending ? "DESC" : "ASC";
            var order = query.Sort switch
            {
                UserSort.LastSignIn => $"(u.last_sign_in_at IS NOT NULL) {direction}, u.last_sign_in_at {direction}, u.display_name, u.id",
                UserSort.Role => $"CASE u.role WHEN 'Owner' THEN 0 WHEN 'Administrator' THEN 1 WHEN 'Auditor' THEN 2 ELSE 3 END {direction}, u.display_name, u.id",
                _ => $"u.display_name {direction}, u.id {direction}",
            };
            return (conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions), order);
        }

        private static void Bind(SqliteCommand command, UserQuery query)
        {
            Set(command, "@search", query.Search is null ? null : $"%{UserDirectoryService.EscapeLike(query.Search).ToUpperInvariant()}%");
            Set(command, "@role", query.Role?.ToString());
            Set(command, "@status", query.Status?.ToString());
            Set(command, "@product", query.Product?.Id());

            static void Set(SqliteCommand command, string name, string? value)
            {
                if (command.Parameters.Contains(name))
                {
                    command.Parameters[name].Value = value;
                }
            }
        }

        private SqliteCommand Command(string sql)
        {
            if (_commands.TryGetValue(sql, out var cached))
            {
                return cached;
            }

            var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in new[] { "@search", "@role", "@status", "@product", "@take", "@skip" }.Where(n => sql.Contains(n, StringComparison.Ordinal)))
            {
                command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            }

            command.Prepare();
            _commands[sql] = command;
            return command;
        }

        public void Dispose()
        {
            foreach (var command in _commands.Values)
            {
                command.Dispose();
            }

            _bare.Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>The hand-written side of the comparison, per provider.</summary>
    private interface IRawDirectory : IDisposable
    {
        /// <summary>Whether <see cref="GetPage"/> runs the service's statements by hand (else it returns null).</summary>
        bool HasSameStatements { get; }

        /// <summary>Refreshes the planner's statistics after seeding (what autovacuum would do on a running server).</summary>
        void Analyze();

        (List<Guid> Ids, int Total, int Seats)? GetPage(UserQuery query);

        void Bare();

        IEnumerable<(string Sql, string Plan)> Plans(IEnumerable<(string Sql, List<(string Name, object? Value)> Parameters)> commands);
    }

    /// <summary>PostgreSQL: the bare page statement through Npgsql on one open connection, and EXPLAIN of the service's statements.</summary>
    private sealed class PostgresRaw : IRawDirectory
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlCommand _bare;

        public PostgresRaw(string connectionString)
        {
            _connection = new NpgsqlConnection(connectionString);
            _connection.Open();
            _bare = new NpgsqlCommand("SELECT id, display_name, email, user_name, role, status, totp_enabled_at IS NOT NULL, last_sign_in_at, created_at FROM users ORDER BY display_name LIMIT 25", _connection);
            _bare.Prepare();
        }

        public bool HasSameStatements => false;

        public void Analyze()
        {
            using var analyze = new NpgsqlCommand("ANALYZE", _connection);
            analyze.ExecuteNonQuery();
        }

        public (List<Guid> Ids, int Total, int Seats)? GetPage(UserQuery query) => null;

        public void Bare()
        {
            using var reader = _bare.ExecuteReader();
            while (reader.Read())
            {
                _ = reader.GetGuid(0);
            }
        }

        public IEnumerable<(string Sql, string Plan)> Plans(IEnumerable<(string Sql, List<(string Name, object? Value)> Parameters)> commands)
        {
            foreach (var (sql, parameters) in commands)
            {
                using var explain = new NpgsqlCommand("EXPLAIN (COSTS OFF) " + sql, _connection);
                foreach (var (name, value) in parameters)
                {
                    explain.Parameters.AddWithValue(name, value ?? DBNull.Value);
                }

                var steps = new List<string>();
                using (var reader = explain.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        steps.Add(reader.GetString(0).Trim());
                    }
                }

                yield return (Kind(sql), OneLine(steps));
            }
        }

        public void Dispose()
        {
            _bare.Dispose();
            _connection.Dispose();
        }
    }

    /// <summary>A short name for a captured statement, for the plan lines.</summary>
    private static string Kind(string sql)
    {
        var text = sql.ReplaceLineEndings(" ");
        return text.Contains("audit_entries", StringComparison.Ordinal) ? (text.Contains("target_id\" =", StringComparison.Ordinal) || text.Contains("target_id =", StringComparison.Ordinal) ? "audit lookup by target" : "audit lookup by actor")
            : text.Contains("user_recovery_codes", StringComparison.Ordinal) ? "recovery-code count"
            : text.StartsWith("SELECT COUNT", StringComparison.OrdinalIgnoreCase) ? "count"
            : !text.Contains("FROM \"users\"", StringComparison.Ordinal) && !text.Contains("FROM users", StringComparison.Ordinal) ? "seats query"
            : "page query";
    }

    /// <summary>A plan on one line, without the page's id list.</summary>
    private static string OneLine(IEnumerable<string> steps) =>
        System.Text.RegularExpressions.Regex.Replace(string.Join("; ", steps), @"'\{[^}]*\}'", "'{…}'");

    /// <summary>The app's store on PostgreSQL, in a fresh database of the given server, built like <see cref="BenchStore"/>.</summary>
    private sealed class PostgresBenchStore(ServiceProvider services, string connectionString, string adminConnectionString, string database) : IAsyncDisposable
    {
        public string ConnectionString => connectionString;

        public IDbContextFactory<AdminDbContext> Contexts => services.GetRequiredService<IDbContextFactory<AdminDbContext>>();

        public AuditWriter Writer => services.GetRequiredService<AuditWriter>();

        public static async Task<PostgresBenchStore> StartAsync(string dataDirectory, string masterSecret, string adminConnectionString, CancellationToken cancellationToken)
        {
            var database = $"coderaft_bench_users_{Guid.NewGuid():N}";
            await using (var admin = new NpgsqlConnection(adminConnectionString))
            {
                await admin.OpenAsync(cancellationToken);
                // A UTF-8 character type, like the shipped postgres:15 image (en_US.utf8): ILIKE folds non-ASCII letters.
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'", admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }

            var connectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = database }.ConnectionString;
            Directory.CreateDirectory(dataDirectory);
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Storage:DataDirectory"] = dataDirectory,
                    ["Database:Provider"] = "Postgres",
                    ["ConnectionStrings:Admin"] = connectionString,
                    ["CODERAFT_MASTER_SECRET"] = masterSecret,
                })
                .Build();
            var provider = new ServiceCollection()
                .AddSingleton<IConfiguration>(configuration)
                .AddSingleton<IHostEnvironment>(new PostgresHostEnvironment(dataDirectory))
                .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
                .AddAdminCore()
                .BuildServiceProvider();
            var store = new PostgresBenchStore(provider, connectionString, adminConnectionString, database);
            try
            {
                await AdminRuntime.InitializeAsync(provider, cancellationToken);
                return store;
            }
            catch
            {
                await store.DisposeAsync();
                throw;
            }
        }

        public long DatabaseBytes()
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var size = new NpgsqlCommand("SELECT pg_database_size(current_database())", connection);
            return Convert.ToInt64(size.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            await services.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(adminConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        private sealed class PostgresHostEnvironment(string contentRoot) : IHostEnvironment
        {
            public string EnvironmentName { get; set; } = Environments.Production;
            public string ApplicationName { get; set; } = "CodeRaft.Admin";
            public string ContentRootPath { get; set; } = contentRoot;
            public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
        }
    }
}
