using ImapEvents.Infrastructure.Mailboxes;
using ImapEvents.Tests.TestSupport;
using Npgsql;

namespace ImapEvents.Tests.Infrastructure;

public sealed class SecretsTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    [Fact]
    public async Task AMailboxPassword_IsInNeitherTheDatabaseNorHangfireNorTheLogs()
    {
        var (user, password) = await fixture.Dovecot.CreateAccountAsync();
        var id = await fixture.CreateMailboxAsync(fixture.Settings(user, password));
        fixture.Service<MailboxAdministration>().CheckNow(id);
        await fixture.CheckAsync(id);
        // A failing login logs too: the password must not appear there either.
        var wrong = await fixture.CreateMailboxAsync(fixture.Settings(user, "Wrong-" + password));
        await fixture.CheckAsync(wrong);

        var rowsWithPassword = await CountRowsContainingAsync(password);

        Assert.Empty(rowsWithPassword);
        Assert.DoesNotContain(fixture.App.Logs.Lines, line => line.Contains(password, StringComparison.Ordinal));
        Assert.Equal(password, fixture.Service<MailboxPasswords>().Unprotect(await StoredPasswordAsync(id)));
    }

    /// <summary>Every row of every table in the app's and Hangfire's schemas, read as text.</summary>
    private async Task<List<string>> CountRowsContainingAsync(string secret)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand(
            "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables WHERE table_schema IN ('public', 'hangfire') AND table_type = 'BASE TABLE'", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("public.mailboxes", tables);
        Assert.Contains("hangfire.job", tables);
        var found = new List<string>();
        foreach (var table in tables)
        {
            await using var count = new NpgsqlCommand($"SELECT count(*) FROM {table} t WHERE t::text LIKE '%' || @secret || '%'", connection);
            count.Parameters.AddWithValue("secret", secret);
            if ((long)(await count.ExecuteScalarAsync())! > 0)
            {
                found.Add(table);
            }
        }

        return found;
    }

    private async Task<string> StoredPasswordAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT \"ProtectedPassword\" FROM mailboxes WHERE \"Id\" = @id", connection);
        command.Parameters.AddWithValue("id", id);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
