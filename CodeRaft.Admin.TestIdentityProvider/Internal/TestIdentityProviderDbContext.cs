using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.TestIdentityProvider.Internal;

/// <summary>OpenIddict's applications, authorizations, scopes and tokens, in an in-memory SQLite database.</summary>
internal sealed class TestIdentityProviderDbContext(DbContextOptions<TestIdentityProviderDbContext> options)
    : DbContext(options);
