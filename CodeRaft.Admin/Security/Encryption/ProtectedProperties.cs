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

    /// <summary>
    /// Decrypts a protected value that a query read as ciphertext, i.e. projected the shadow column
    /// (<c>EF.Property&lt;byte[]?&gt;(u, nameof(AdminUser.TotpSecret) + ShadowSuffix)</c>) instead of materializing the
    /// whole entity. Same key ring and the same AAD as materialization (table, column, row key, built by the same
    /// code), so a ciphertext copied from another row or column still fails. <paramref name="keyValues"/> are the
    /// row's primary key values in key order.
    /// </summary>
    public static string? DecryptProjected<TEntity>(this DbContext context, string propertyName, byte[]? envelope, params object[] keyValues)
        where TEntity : class
    {
        var entityType = context.Model.FindEntityType(typeof(TEntity))
            ?? throw new InvalidOperationException($"{typeof(TEntity).Name} is not part of the model.");
        var shadow = entityType.FindProperty(propertyName + ShadowSuffix);
        if (shadow?.FindAnnotation(Annotation) is null)
        {
            throw new InvalidOperationException($"{typeof(TEntity).Name}.{propertyName} is not a protected property.");
        }

        var keyCount = entityType.FindPrimaryKey()!.Properties.Count;
        if (keyCount != keyValues.Length)
        {
            throw new ArgumentException($"{typeof(TEntity).Name} has {keyCount} key properties, {keyValues.Length} values were given.", nameof(keyValues));
        }

        return envelope is null
            ? null
            : ProtectedPropertyInterceptor.Decrypt(context, entityType, shadow, envelope, ProtectedPropertyInterceptor.RowId(keyValues));
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
                plaintext = Decrypt(encryption, entityType, shadow, envelope, RowId(entityType, p => materializationData.GetPropertyValue(p)));
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

    /// <summary>The one decryption of a protected column, for materialized entities and projected ciphertext alike.</summary>
    internal static string Decrypt(DbContext context, IEntityType entityType, IProperty shadow, byte[] envelope, string rowId) =>
        Decrypt(Encryption(context), entityType, shadow, envelope, rowId);

    private static string Decrypt(EncryptionService encryption, IEntityType entityType, IProperty shadow, byte[] envelope, string rowId) =>
        Encoding.UTF8.GetString(encryption.Decrypt(envelope, Context(entityType, shadow, rowId)));

    private static EncryptionService Encryption(DbContext context) => context.GetService<EncryptionService>();

    private static EncryptionContext Context(IEntityType entityType, IProperty shadow, string rowId) =>
        new(entityType.GetTableName()!, shadow.GetColumnName(), rowId);

    private static string RowId(IEntityType entityType, Func<IProperty, object?> valueOf) =>
        RowId(entityType.FindPrimaryKey()!.Properties.Select(valueOf));

    /// <summary>The row key bound into the AAD: the primary key values in key order, invariant, joined by '/'.</summary>
    internal static string RowId(IEnumerable<object?> keyValues) =>
        string.Join('/', keyValues.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)));
}
