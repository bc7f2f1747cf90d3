using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Checkpoints;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Data.Sqlite;

using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Tests.Features.Audit.Verification;

/// <summary>
/// One real audit log of <see cref="EntryCount"/> entries (signed checkpoints at 1000 and 2000), written once per
/// test class through the app's own append path into a template data directory. Each case works on a copy.
/// </summary>
public sealed class SeededAuditLog : IAsyncLifetime
{
    public const int EntryCount = 2500;

    private readonly TempDirectory _template = new("coderaft-audit-template");

    public string MasterSecret { get; } = TestSecrets.NewMasterSecret();

    public string DataDirectory => _template.Combine("data");

    public string HeadHash { get; private set; } = "";

    /// <summary>The checkpoint public key of the installation (what <c>audit public-key</c> prints).</summary>
    public string PublicKeyPem { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await using var store = await TestStore.StartAsync(DataDirectory, MasterSecret);
        var writer = store.Get<AuditWriter>();
        PublicKeyPem = store.Get<AuditCheckpointSigner>().PublicKeyPem;
        string[] names = ["Alice", "Zoë", "Élodie Fauré", "山田 太郎", "ops 🔐"];
        // The store's own first entry (audit.signing_key_created) counts: seed up to exactly EntryCount.
        int existing;
        await using (var db = await store.Contexts.CreateDbContextAsync())
        {
            existing = await db.AuditEntries.CountAsync();
        }

        foreach (var chunk in Enumerable.Range(existing + 1, EntryCount - existing).Chunk(500))
        {
            var events = chunk.Select(i => new AuditEvent
            {
                Category = (i % 3) switch { 0 => "users", 1 => "apikeys", _ => "network" },
                Action = (i % 3) switch { 0 => "user.invited", 1 => "apikey.created", _ => "allowlist.entry_added" },
                Outcome = i % 7 == 0 ? AuditVocabulary.Denied : AuditVocabulary.Success,
                Actor = AuditActor.User($"u-{i % 11}", names[i % names.Length]),
                SourceIp = $"203.0.113.{i % 250}",
                TargetType = "item",
                TargetId = i.ToString(CultureInfo.InvariantCulture),
                Details = new JsonObject { ["index"] = i, ["note"] = i % 100 == 0 ? new string('n', 2000) : "日本" },
            }).ToList();
            HeadHash = (await writer.AppendBatchAsync(events))[^1].Hash;
        }
    }

    public Task DisposeAsync()
    {
        _template.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A private copy of the seeded data directory.</summary>
    public AuditCase NewCase() => new(DataDirectory, MasterSecret);
}

/// <summary>A working directory holding a copy of a data directory, with the ways an operator or a DBA touches it.</summary>
public sealed class AuditCase : IDisposable
{
    public const string DropTriggers = """
        DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete; DROP TRIGGER audit_entries_append_at_head;
        DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete;
        """;

    private readonly TempDirectory _work = new("coderaft-audit-case");
    private readonly string _masterSecret;

    public AuditCase(string sourceDataDirectory, string masterSecret)
    {
        _masterSecret = masterSecret;
        Directory.CreateDirectory(DataDirectory);
        foreach (var file in Directory.GetFiles(sourceDataDirectory))
        {
            File.Copy(file, Path.Combine(DataDirectory, Path.GetFileName(file)));
        }
    }

    public string WorkingDirectory => _work.Path;

    public string DataDirectory => _work.Combine("data");

    public string DatabasePath => Path.Combine(DataDirectory, "coderaft-admin.db");

    public string Combine(params string[] parts) => _work.Combine(parts);

    public AuditCase Clone() => new(DataDirectory, _masterSecret);

    /// <summary>The real binary, configured like a production install on this data directory.</summary>
    public Task<AppProcess.Result> RunAsync(params string[] args) => AppProcess.RunAsync(WorkingDirectory, new Dictionary<string, string?>
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Storage__DataDirectory"] = DataDirectory,
        ["CODERAFT_MASTER_SECRET"] = _masterSecret,
    }, args);

    /// <summary>Runs SQL through the sqlite3 command-line shell, as a database administrator would.</summary>
    public Task<AppProcess.Result> SqliteAsync(string sql) => Tool.RunAsync("sqlite3", ["-bail", DatabasePath], sql);

    /// <summary>SQL that rewrites the entries from <paramref name="fromSequence"/> on after <paramref name="modify"/>,
    /// recomputing every hash and link from there to the head, as a DBA who knows the (public) hash rule can.</summary>
    public string RewriteFrom(long fromSequence, Action<AuditEntry> modify)
    {
        var entries = ReadEntries(fromSequence);
        var sql = new StringBuilder(DropTriggers);
        var previous = entries[0].PreviousHash;
        modify(entries[0]);
        foreach (var entry in entries)
        {
            entry.PreviousHash = previous;
            entry.Hash = ReferenceAuditHash.Compute(entry);
            previous = entry.Hash;
            sql.Append(CultureInfo.InvariantCulture, $"UPDATE audit_entries SET action = {Quote(entry.Action)}, actor_name = {Quote(entry.ActorName)}, ")
                .Append(CultureInfo.InvariantCulture, $"previous_hash = '{entry.PreviousHash}', hash = '{entry.Hash}' WHERE sequence = {entry.Sequence};\n");
        }

        return sql.ToString();
    }

    public List<AuditEntry> ReadEntries(long fromSequence = 1)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sequence, timestamp, product, category, action, outcome, actor_type, actor_id, actor_name, source_ip,
                   target_type, target_id, details, previous_hash, hash
            FROM audit_entries WHERE sequence >= $from ORDER BY sequence
            """;
        command.Parameters.AddWithValue("$from", fromSequence);
        using var reader = command.ExecuteReader();
        var entries = new List<AuditEntry>();
        while (reader.Read())
        {
            entries.Add(new AuditEntry
            {
                Sequence = reader.GetInt64(0), Timestamp = reader.GetString(1), Product = reader.GetString(2), Category = reader.GetString(3),
                Action = reader.GetString(4), Outcome = reader.GetString(5), ActorType = reader.GetString(6), ActorId = reader.GetString(7),
                ActorName = reader.GetString(8), SourceIp = reader.GetString(9), TargetType = reader.GetString(10), TargetId = reader.GetString(11),
                Details = reader.GetString(12), PreviousHash = reader.GetString(13), Hash = reader.GetString(14),
            });
        }

        return entries;
    }

    public static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public void Dispose() => _work.Dispose();
}

/// <summary>Runs a command-line tool (sqlite3, python3) to completion, bounded.</summary>
public static class Tool
{
    public static async Task<AppProcess.Result> RunAsync(string fileName, IEnumerable<string> args, string? standardInput = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new AppProcess.Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The repository root (the folder holding Admin.sln), found from the test binaries.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Admin.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Admin.sln above {AppContext.BaseDirectory}.");
    }
}
