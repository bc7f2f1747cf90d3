using CodeRaft.Admin.Features.Audit.Chain;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>
/// Entry point of the test assembly. The test runner never calls it; crash tests start the assembly as a child
/// process (<c>dotnet CodeRaft.Admin.Tests.dll append-worker DIR SECRET</c>) that appends audit entries and prints
/// "ACK sequence hash" after each durable commit, until it is killed.
/// </summary>
public static class TestEntryPoint
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["append-worker", var dataDirectory, var secret])
        {
            return 2;
        }

        await using var store = await TestStore.StartAsync(dataDirectory, secret);
        var writer = store.Get<AuditWriter>();
        // A bounded burst: the parent kills us long before the end.
        for (var i = 0; i < 1_000_000; i++)
        {
            var entries = await writer.AppendBatchAsync(
                [.. Enumerable.Range(0, 1 + (i % 7)).Select(j => new AuditEvent { Category = "test", Action = "crash.burst", TargetId = $"{i}-{j}" })]);
            foreach (var entry in entries)
            {
                Console.Out.WriteLine($"ACK {entry.Sequence} {entry.Hash}");
            }

            Console.Out.Flush();
        }

        return 0;
    }
}
