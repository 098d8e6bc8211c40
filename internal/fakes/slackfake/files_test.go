package slackfake

import (
	"bytes"
	"context"
	"testing"

	"github.com/slack-go/slack"
)

// TestExternalUploadFlow uploads a file with slack-go's UploadFileContext (the
// files.getUploadURLExternal, POST to upload_url, files.completeUploadExternal
// flow) and finds it shared in the channel with its exact bytes.
func TestExternalUploadFlow(t *testing.T) {
	s := New(Config{Channels: []string{"C0DIGEST"}})
	defer s.Close()
	api := slack.New(s.Token(), slack.OptionAPIURL(s.APIURL()))
	data := bytes.Repeat([]byte("\x89PNG chart "), 300)
	f, err := api.UploadFileContext(context.Background(), slack.UploadFileParameters{
		Reader: bytes.NewReader(data), FileSize: len(data), Filename: "digest.png", Title: "Tickets per day",
		Channel: "C0DIGEST", InitialComment: "Daily digest",
	})
	if err != nil {
		t.Fatal(err)
	}
	files := s.Files("C0DIGEST")
	if len(files) != 1 || files[0].ID != f.ID || !bytes.Equal(files[0].Bytes, data) || files[0].Title != "Tickets per day" ||
		files[0].InitialComment != "Daily digest" {
		t.Fatalf("files %+v (reply %+v)", files, f)
	}
	// The flow's steps are enforced: completing an unknown or unsent file fails.
	if _, err := api.CompleteUploadExternalContext(context.Background(), slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: "F404"}}, Channel: "C0DIGEST"}); err == nil {
		t.Error("completing an unknown file succeeded")
	}
	u, err := api.GetUploadURLExternalContext(context.Background(), slack.GetUploadURLExternalParameters{FileName: "x.png", FileSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.CompleteUploadExternalContext(context.Background(), slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: u.FileID}}, Channel: "C0DIGEST"}); err == nil {
		t.Error("completing a file whose bytes never came succeeded")
	}
	if err := api.UploadToURL(context.Background(), slack.UploadToURLParameters{UploadURL: u.UploadURL, Filename: "x.png",
		Reader: bytes.NewReader([]byte("short"))}); err == nil {
		t.Error("an upload shorter than announced succeeded")
	}
}
