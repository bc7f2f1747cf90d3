using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CodeRaft.Admin.Security.Encryption;

/// <summary>
/// Marks a string property as encrypted at rest. The entity keeps plaintext in memory; the column holds the
/// v1 envelope (docs/encryption.md) bound to table, column and row key. A feature writes
/// <c>builder.Protect(x => x.Secret)</c> in its entity configuration and never sees ciphertext.
/// </summary>
public static class ProtectedPropertyExtensions
{
    internal const string Annotation = "CodeRaft:ProtectedProperty";
    internal const string ShadowSuffix = "__Ciphertext";

    public static EntityTypeBuilder<TEntity> Protect<TEntity>(this EntityTypeBuilder<TEntity> builder, Expression<Func<TEntity, string?>> property)
        where TEntity : class
    {
        if (property.Body is not MemberExpression { Member: PropertyInfo clrProperty })
        {
            throw new ArgumentException("Protect takes a simple property access, e.g. x => x.Secret.", nameof(property));
        }

        // The CLR property is not mapped; a shadow byte[] property carries the ciphertext under the column name
        // the CLR property would have had.
        builder.Ignore(clrProperty.Name);
        builder.Property<byte[]?>(clrProperty.Name + ShadowSuffix)
            .HasColumnName(AdminNaming.ToSnakeCase(clrProperty.Name))
            .HasAnnotation(Annotation, clrProperty.Name);
        return builder;
    }

    internal static IEnumerable<(IProperty Shadow, PropertyInfo Clr)> ProtectedProperties(this IEntityType entityType)
    {
        foreach (var shadow in entityType.GetProperties())
        {
            if (shadow.FindAnnotation(Annotation)?.Value is string name)
            {
                yield return (shadow, entityType.ClrType.GetProperty(name)!);
            }
        }
    }
}

/// <summary>
/// Encrypts protected properties when saving and decrypts them when an entity is materialized. Entities with
/// protected properties must use client-generated keys: the row key is part of the AAD, so it must be known
/// before the INSERT.
/// One stateless instance serves every context: EF caches its internal services per interceptor instance, and
/// the <see cref="EncryptionService"/> comes from the context's own application services.
/// </summary>
public sealed class ProtectedPropertyInterceptor : ISaveChangesInterceptor, IMaterializationInterceptor
{
    public static ProtectedPropertyInterceptor Instance { get; } = new();

    private ProtectedPropertyInterceptor()
    {
    }

    // Plaintext last read from or written to the database, per entity instance, to tell whether a value changed.
    private static readonly ConditionalWeakTable<object, Dictionary<string, string?>> _known = new();

    public object InitializedInstance(MaterializationInterceptionData materializationData, object entity)
    {
        var entityType = materializationData.EntityType;
        var encryption = Encryption(materializationData.Context);
        foreach (var (shadow, clr) in entityType.ProtectedProperties())
        {
            var envelope = materializationData.GetPropertyValue<byte[]?>(shadow);
            string? plaintext = null;
            if (envelope is not null)
            {
                var rowId = RowId(entityType, p => materializationData.GetPropertyValue(p));
                plaintext = Encoding.UTF8.GetString(encryption.Decrypt(envelope, Context(entityType, shadow, rowId)));
            }

            clr.SetValue(entity, plaintext);
            _known.GetOrCreateValue(entity)[clr.Name] = plaintext;
        }

        return entity;
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        EncryptChangedValues(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        EncryptChangedValues(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void EncryptChangedValues(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var encryption = Encryption(context);
        foreach (var entry in context.ChangeTracker.Entries())
        {
            if (entry.State is EntityState.Deleted or EntityState.Detached)
            {
                continue;
            }

            foreach (var (shadow, clr) in entry.Metadata.ProtectedProperties())
            {
                var plaintext = (string?)clr.GetValue(entry.Entity);
                var known = _known.GetOrCreateValue(entry.Entity);
                if (entry.State != EntityState.Added && known.TryGetValue(clr.Name, out var previous) && previous == plaintext)
                {
                    continue;
                }

                var keyProperties = entry.Metadata.FindPrimaryKey()!.Properties;
                if (keyProperties.Any(p => entry.Property(p.Name).IsTemporary))
                {
                    throw new InvalidOperationException(
                        $"{entry.Metadata.DisplayName()} has a protected property but a store-generated key; protected entities need client-generated keys.");
                }

                var rowId = RowId(entry.Metadata, p => entry.Property(p.Name).CurrentValue);
                entry.Property(shadow.Name).CurrentValue = plaintext is null
                    ? null
                    : encryption.Encrypt(Encoding.UTF8.GetBytes(plaintext), Context(entry.Metadata, shadow, rowId));
                known[clr.Name] = plaintext;
            }
        }
    }

    private static EncryptionService Encryption(DbContext context) => context.GetService<EncryptionService>();

    private static EncryptionContext Context(IEntityType entityType, IProperty shadow, string rowId) =>
        new(entityType.GetTableName()!, shadow.GetColumnName(), rowId);

    private static string RowId(IEntityType entityType, Func<IProperty, object?> valueOf) =>
        string.Join('/', entityType.FindPrimaryKey()!.Properties.Select(p => Convert.ToString(valueOf(p), System.Globalization.CultureInfo.InvariantCulture)));
}
