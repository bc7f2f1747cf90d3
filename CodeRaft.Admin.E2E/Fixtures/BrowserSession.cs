using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace CodeRaft.Admin.E2E.Fixtures;

/// <summary>One browser context and its page, with everything that went wrong in it recorded from the start.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private readonly ConcurrentQueue<ResponseRecord> _responses = new();
    private readonly ConcurrentQueue<string> _consoleErrors = new();
    private readonly ConcurrentQueue<string> _pageErrors = new();

    public BrowserSession(IBrowserContext context, IPage page)
    {
        Context = context;
        Page = page;

        // Events arrive on Playwright's dispatcher thread, hence the concurrent queues.
        page.Response += (_, response) => _responses.Enqueue(new ResponseRecord(response.Request.Method, response.Url, response.Status));
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                _consoleErrors.Enqueue($"{message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => _pageErrors.Enqueue(error);
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public IReadOnlyList<ResponseRecord> Responses => [.. _responses];

    public IReadOnlyList<string> ConsoleErrors => [.. _consoleErrors];

    public IReadOnlyList<string> PageErrors => [.. _pageErrors];

    /// <summary>Responses with status 400 or more, except those the test expects (e.g. the 404 of an unknown route).</summary>
    public IReadOnlyList<ResponseRecord> FailedResponses(Func<ResponseRecord, bool>? expected = null) =>
        [.. _responses.Where(r => r.Status >= 400 && !(expected?.Invoke(r) ?? false))];

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}

public sealed record ResponseRecord(string Method, string Url, int Status)
{
    public override string ToString() => $"{Status} {Method} {Url}";
}
