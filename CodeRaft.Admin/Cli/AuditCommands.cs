using System.CommandLine;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Checkpoints;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Features.Audit.Viewer;

namespace CodeRaft.Admin.Cli;

/// <summary><c>audit verify</c>, <c>audit export</c>, <c>audit public-key</c> (CONTRACTS §2).</summary>
internal static class AuditCommands
{
    public static Command Create()
    {
        var verify = new Command("verify", "Verify the whole chain and every checkpoint signature. Exit 0 = OK, 1 = tampering found.");
        verify.SetAction(VerifyAsync);

        var output = new Option<FileInfo>("--out") { Description = "File to write (JSON Lines); checkpoints go to <name>.checkpoints.jsonl beside it.", Required = true };
        var from = new Option<long>("--from") { Description = "First sequence to export.", DefaultValueFactory = _ => 1 };
        var export = new Command("export", "Write the audit log as JSON Lines (CONTRACTS §4).") { output, from };
        export.SetAction((parse, ct) => ExportAsync(parse, parse.GetRequiredValue(output), parse.GetValue(from), ct));

        var publicKey = new Command("public-key", "Print the checkpoint signing public key (PEM).");
        publicKey.SetAction(PublicKeyAsync);

        return new Command("audit", "Verify, export and inspect the audit log.") { verify, export, publicKey };
    }

    private static async Task<int> VerifyAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var host = await CliHost.StartAsync(cancellationToken);
        var verifier = host.Services.GetRequiredService<AuditVerifier>();
        var result = await verifier.VerifyAsync(cancellationToken: cancellationToken);
        await parse.InvocationConfiguration.Output.WriteLineAsync(result.Summary);
        foreach (var warning in result.Warnings)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync("warning: " + warning);
        }

        // The run itself is part of the trail (a failed run is the most important entry of all).
        await host.Services.GetRequiredService<AuditWriter>().AppendAsync(new AuditEvent
        {
            Category = "audit",
            Action = result.Ok ? "audit.verified" : "audit.tampering_detected",
            Outcome = result.Ok ? AuditVocabulary.Success : AuditVocabulary.Failure,
            Actor = AuditActor.Cli,
            Details = AuditDetails.Of(("head", result.HeadSequence), ("tamperedAt", result.TamperedAt), ("reason", result.Reason)),
        }, cancellationToken);
        return result.Ok ? 0 : 1;
    }

    private static async Task<int> ExportAsync(ParseResult parse, FileInfo file, long from, CancellationToken cancellationToken)
    {
        if (from < 1)
        {
            throw new CliUsageException("--from must be 1 or more.");
        }

        await using var host = await CliHost.StartAsync(cancellationToken);
        var head = (await host.Services.GetRequiredService<AuditQueryService>().GetPageAsync(AuditFilter.None, null, 1, cancellationToken)).HeadSequence;
        if (from > Math.Max(head, 1))
        {
            throw new CliUsageException($"--from {from} is beyond the head of the log (sequence {head}).");
        }

        var checkpointsFile = CheckpointsPath(file.FullName);
        var exporter = host.Services.GetRequiredService<AuditExporter>();
        long count;
        int checkpoints;
        try
        {
            // Write to temporary names and rename at the end: a failed export never leaves a partial file behind.
            // Checkpoints first (see WriteCheckpointsAsync): a checkpoint signed meanwhile cannot point past the entries.
            await using (var stream = new FileStream(checkpointsFile + ".partial", FileMode.Create, FileAccess.Write))
            {
                checkpoints = await exporter.WriteCheckpointsAsync(stream, cancellationToken);
            }

            await using (var stream = new FileStream(file.FullName + ".partial", FileMode.Create, FileAccess.Write))
            {
                count = await exporter.WriteEntriesAsync(stream, AuditExportFormat.JsonLines, AuditFilter.None, from, cancellationToken);
            }

            File.Move(file.FullName + ".partial", file.FullName, overwrite: true);
            File.Move(checkpointsFile + ".partial", checkpointsFile, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(file.FullName + ".partial");
            TryDelete(checkpointsFile + ".partial");
            throw new CliUsageException($"Cannot write {file.FullName}: " + ex switch
            {
                DirectoryNotFoundException => "a folder on its path does not exist or is not a folder.",
                UnauthorizedAccessException => "permission denied.",
                _ => ex.Message.Replace(".partial", "", StringComparison.Ordinal).TrimEnd('.') + ".",
            });
        }

        await host.Services.GetRequiredService<AuditWriter>().AppendAsync(new AuditEvent
        {
            Category = "audit",
            Action = "audit.exported",
            Actor = AuditActor.Cli,
            Details = AuditDetails.Of(("from", from), ("entries", count), ("checkpoints", checkpoints), ("file", file.Name)),
        }, cancellationToken);
        await parse.InvocationConfiguration.Output.WriteLineAsync($"Exported {count} entries to {file.FullName} and {checkpoints} checkpoints to {checkpointsFile}.");
        return 0;
    }

    private static async Task<int> PublicKeyAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var host = await CliHost.StartAsync(cancellationToken);
        await parse.InvocationConfiguration.Output.WriteLineAsync(host.Services.GetRequiredService<AuditCheckpointSigner>().PublicKeyPem);
        return 0;
    }

    internal static string CheckpointsPath(string entriesPath) =>
        entriesPath.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)
            ? entriesPath[..^".jsonl".Length] + ".checkpoints.jsonl"
            : entriesPath + ".checkpoints.jsonl";

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // nothing was there to clean up
        }
    }
}
