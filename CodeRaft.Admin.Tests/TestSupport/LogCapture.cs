using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>The portal with every log category at Trace, each entry (message, structured values, exception) captured: for "no secret in any log line".</summary>
public sealed class LogCapturingAppFactory(LogCaptureProvider capture) : AdminAppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Logging:LogLevel:Default", "Trace");
        builder.ConfigureTestServices(services => services.AddLogging(logging => logging.AddProvider(capture).SetMinimumLevel(LogLevel.Trace)));
    }
}

public sealed class LogCaptureProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CaptureLogger(Entries);

    public void Dispose()
    {
    }

    private sealed class CaptureLogger(ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull
        {
            entries.Enqueue("scope " + state);
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            entries.Enqueue(formatter(state, exception) + " | " + values + " | " + exception);
        }
    }
}
