using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MessageIdIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_imported_messages_MailboxId_MessageId",
                table: "imported_messages",
                columns: new[] { "MailboxId", "MessageId" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_imported_messages_MailboxId_MessageId",
                table: "imported_messages");
        }
    }
}
