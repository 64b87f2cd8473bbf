using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImapEvents.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class GroupedRecoveries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_notification_groups_gathering",
                table: "notification_groups");

            migrationBuilder.AddColumn<bool>(
                name: "Recovery",
                table: "notification_groups",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "IX_notification_groups_gathering",
                table: "notification_groups",
                columns: new[] { "RuleId", "ServerName", "ServerPort", "Stage", "Recovery" },
                unique: true,
                filter: "\"SentAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_notification_groups_gathering",
                table: "notification_groups");

            migrationBuilder.DropColumn(
                name: "Recovery",
                table: "notification_groups");

            migrationBuilder.CreateIndex(
                name: "IX_notification_groups_gathering",
                table: "notification_groups",
                columns: new[] { "RuleId", "ServerName", "ServerPort", "Stage" },
                unique: true,
                filter: "\"SentAt\" IS NULL");
        }
    }
}
