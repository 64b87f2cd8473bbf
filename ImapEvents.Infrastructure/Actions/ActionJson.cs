using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ImapEvents.Core.Actions;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ImapEvents.Infrastructure.Actions;

/// <summary>How actions are stored in jsonb columns: with the protected secret, never with a secret still in clear.</summary>
internal static class ActionJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (info.Type != typeof(RuleAction))
                    {
                        return;
                    }

                    foreach (var property in info.Properties.Where(p => p.Name is "newSecret" or "hasSecret").ToList())
                    {
                        info.Properties.Remove(property);
                    }
                },
            },
        },
    };

    public static readonly ValueConverter<List<RuleAction>, string> ListConverter = new(
        actions => JsonSerializer.Serialize(actions, Options),
        json => JsonSerializer.Deserialize<List<RuleAction>>(json, Options) ?? new List<RuleAction>());

    public static readonly ValueComparer<List<RuleAction>> ListComparer = new(
        (a, b) => JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options),
        actions => JsonSerializer.Serialize(actions, Options).GetHashCode(StringComparison.Ordinal),
        actions => actions.Select(a => a.Copy()).ToList());

    public static readonly ValueConverter<RuleAction, string> Converter = new(
        action => JsonSerializer.Serialize(action, Options),
        json => JsonSerializer.Deserialize<RuleAction>(json, Options) ?? new RuleAction());

    public static readonly ValueComparer<RuleAction> Comparer = new(
        (a, b) => JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options),
        action => JsonSerializer.Serialize(action, Options).GetHashCode(StringComparison.Ordinal),
        action => action.Copy());
}
