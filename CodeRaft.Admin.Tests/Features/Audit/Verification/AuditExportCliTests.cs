using System.Text.Json;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Audit.Verification;

/// <summary><c>audit export</c> of the real binary: the files it writes, and bad input (exit 2, one sentence, nothing written).</summary>
public sealed class AuditExportCliTests(SeededAuditLog log) : IClassFixture<SeededAuditLog>
{
    [Fact]
    public async Task Export_WholeLog_WritesEntriesAndCheckpointsAndAuditsItself()
    {
        using var work = log.NewCase();
        var output = work.Combine("out", "audit.jsonl");
        Directory.CreateDirectory(work.Combine("out"));

        var result = await work.RunAsync("audit", "export", "--out", output);

        Assert.Equal(0, result.ExitCode);
        var lines = await File.ReadAllLinesAsync(output);
        Assert.Equal(SeededAuditLog.EntryCount, lines.Length);
        using (var first = JsonDocument.Parse(lines[0]))
        {
            Assert.Equal(AuditExporter.EntryColumns, first.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(JsonValueKind.Number, first.RootElement.GetProperty("sequence").ValueKind);
            Assert.All(first.RootElement.EnumerateObject().Skip(1), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
        }

        var checkpoints = await File.ReadAllLinesAsync(work.Combine("out", "audit.checkpoints.jsonl"));
        Assert.Equal([1000L, 2000L], checkpoints.Select(c => JsonDocument.Parse(c).RootElement.GetProperty("sequence").GetInt64()));
        Assert.Equal(["audit.checkpoints.jsonl", "audit.jsonl"], Directory.GetFiles(work.Combine("out")).Select(Path.GetFileName).Order());
        var audited = work.ReadEntries(SeededAuditLog.EntryCount + 1).Single();
        Assert.Equal(("audit.exported", "cli"), (audited.Action, audited.ActorType));
    }

    [Fact]
    public async Task Export_FromBeyondHead_ExitTwoOneSentenceNothingWritten()
    {
        using var work = log.NewCase();

        var result = await work.RunAsync("audit", "export", "--out", work.Combine("audit.jsonl"), "--from", "2501");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("--from 2501 is beyond the head of the log (sequence 2500).", Assert.Single(result.ErrorLines));
        Assert.Equal("", result.StandardOutput);
        Assert.Empty(Directory.GetFiles(work.WorkingDirectory));
        Assert.Equal(SeededAuditLog.EntryCount, work.ReadEntries().Count);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public async Task Export_FromBelowOne_ExitTwoOneSentenceNothingWritten(string from)
    {
        using var work = log.NewCase();

        var result = await work.RunAsync("audit", "export", "--out", work.Combine("audit.jsonl"), "--from", from);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("--from must be 1 or more.", Assert.Single(result.ErrorLines));
        Assert.Empty(Directory.GetFiles(work.WorkingDirectory));
        Assert.Equal(SeededAuditLog.EntryCount, work.ReadEntries().Count);
    }

    [Fact]
    public async Task Export_PathUnderARegularFile_ExitTwoNoPartialFileLeft()
    {
        using var work = log.NewCase();
        var blocker = work.Combine("blocker");
        await File.WriteAllTextAsync(blocker, "a regular file");
        var output = Path.Combine(blocker, "audit.jsonl");

        var result = await work.RunAsync("audit", "export", "--out", output);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"Cannot write {output}: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(["blocker"], Directory.GetFiles(work.WorkingDirectory).Select(Path.GetFileName));
        Assert.Equal("a regular file", await File.ReadAllTextAsync(blocker));
        Assert.Equal(SeededAuditLog.EntryCount, work.ReadEntries().Count);
    }

    [Fact]
    public async Task Export_OutIsAnExistingDirectory_ExitTwoNoPartialFileLeft()
    {
        using var work = log.NewCase();
        var output = work.Combine("exports");
        Directory.CreateDirectory(output);

        var result = await work.RunAsync("audit", "export", "--out", output);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"Cannot write {output}: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(work.WorkingDirectory));
        Assert.Empty(Directory.GetFileSystemEntries(output));
        Assert.Equal(SeededAuditLog.EntryCount, work.ReadEntries().Count);
    }
}
