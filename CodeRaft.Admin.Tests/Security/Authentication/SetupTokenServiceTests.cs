using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Security.Authentication;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace CodeRaft.Admin.Tests.Security.Authentication;

public sealed class SetupTokenServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new();
    private readonly string _masterSecret = TestSecrets.NewMasterSecret();
    private readonly CapturingLogger _log = new();
    private TestStore _store = null!;

    private string TokenFile => Path.Combine(_data.Path, SetupTokenService.FileName);

    public async Task InitializeAsync() => _store = await TestStore.StartAsync(_data.Path, _masterSecret);

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _data.Dispose();
    }

    /// <summary>The service as the web server's start-up runs it (the TestStore, like the CLI, has no web server).</summary>
    private SetupTokenService NewService(TestStore store, string? mode = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Authentication:Mode"] = mode }).Build();
        return new SetupTokenService(store.Get<AdminSettings>(), configuration, store.Contexts, _log);
    }

    private async Task AddUserAsync()
    {
        await using var db = await _store.Contexts.CreateDbContextAsync();
        db.Users.Add(new AdminUser { UserName = "alice@example.test", Email = "alice@example.test", DisplayName = "Alice", Role = AdminRole.Owner, Status = AdminUserStatus.Active });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task InitializeAsync_NoUsers_WritesTokenFileWithMode0600AndLogsItOnce()
    {
        var service = NewService(_store);

        await service.InitializeAsync();

        Assert.True(service.IsSetupPending);
        Assert.True(File.Exists(TokenFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(TokenFile));
        var token = (await File.ReadAllTextAsync(TokenFile)).Trim();
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
        var warning = Assert.Single(_log.Messages, m => m.Level == LogLevel.Warning);
        Assert.Contains($"First run: open /setup and enter this one-time setup token: {token}", warning.Text, StringComparison.Ordinal);
        Assert.Contains(TokenFile, warning.Text, StringComparison.Ordinal);
        Assert.True(service.Validate(token));
    }

    [Fact]
    public async Task InitializeAsync_RestartWithoutUsers_ReusesTheSameToken()
    {
        await NewService(_store).InitializeAsync();
        var first = await File.ReadAllTextAsync(TokenFile);
        await _store.DisposeAsync();

        _store = await TestStore.StartAsync(_data.Path, _masterSecret);
        var restarted = NewService(_store);
        await restarted.InitializeAsync();

        Assert.Equal(first, await File.ReadAllTextAsync(TokenFile));
        Assert.True(restarted.Validate(first));
    }

    [Fact]
    public async Task InitializeAsync_TokenFileNotWrittenByPortal_Replaced()
    {
        await File.WriteAllTextAsync(TokenFile, "not-a-token");
        var service = NewService(_store);

        await service.InitializeAsync();

        var token = (await File.ReadAllTextAsync(TokenFile)).Trim();
        Assert.NotEqual("not-a-token", token);
        Assert.False(service.Validate("not-a-token"));
        Assert.True(service.Validate(token));
    }

    [Fact]
    public async Task InitializeAsync_UserExists_DeletesStaleFileAndIssuesNothing()
    {
        await NewService(_store).InitializeAsync();
        var stale = await File.ReadAllTextAsync(TokenFile);
        await AddUserAsync();

        var service = NewService(_store);
        await service.InitializeAsync();

        Assert.False(File.Exists(TokenFile));
        Assert.False(service.IsSetupPending);
        Assert.False(service.Validate(stale));
    }

    [Fact]
    public async Task InitializeAsync_OidcMode_IssuesNoToken()
    {
        var service = NewService(_store, mode: "Oidc");

        await service.InitializeAsync();

        Assert.False(service.IsSetupPending);
        Assert.False(File.Exists(TokenFile));
        Assert.Empty(_log.Messages);
    }

    [Fact]
    public void StartAsync_WithoutWebServer_IssuesNoToken()
    {
        // The CLI runs the same start-up steps; it must neither print nor write a token.
        Assert.False(_store.Get<SetupTokenService>().IsSetupPending);
        Assert.False(File.Exists(TokenFile));
    }

    [Fact]
    public async Task Validate_WrongEmptyOrOversizedTokens_False()
    {
        var service = NewService(_store);
        await service.InitializeAsync();
        var token = (await File.ReadAllTextAsync(TokenFile)).Trim();

        Assert.True(service.Validate(token));
        Assert.True(service.Validate($"  {token}\n")); // pasted with whitespace
        Assert.False(service.Validate(null));
        Assert.False(service.Validate(""));
        Assert.False(service.Validate("   "));
        Assert.False(service.Validate(token[..^1]));
        Assert.False(service.Validate(token + "A"));
        Assert.False(service.Validate(token.ToUpperInvariant()));
        Assert.False(service.Validate(new string('A', 10 * 1024)));
        Assert.False(service.Validate(token + new string(' ', 10 * 1024)));
    }

    [Fact]
    public async Task Consume_AfterIssue_DeletesFileAndTokenStopsWorking()
    {
        var service = NewService(_store);
        await service.InitializeAsync();
        var token = (await File.ReadAllTextAsync(TokenFile)).Trim();

        service.Consume();

        Assert.False(File.Exists(TokenFile));
        Assert.False(service.IsSetupPending);
        Assert.False(service.Validate(token));
        service.Consume(); // idempotent
    }

    private sealed class CapturingLogger : ILogger<SetupTokenService>
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
