package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// File is a file shared through Slack's external upload flow:
// files.getUploadURLExternal (filename, length) answers an upload_url and a
// file_id; the bytes are POSTed to the upload_url (multipart field "file", or
// the raw body); files.completeUploadExternal (files=[{id,title}], channel_id
// or channels, initial_comment or blocks, thread_ts) shares it. A file is
// complete only when all three steps happened in order with the announced
// length.
type File struct {
	ID             string
	Name           string
	Title          string
	Length         int // announced by files.getUploadURLExternal
	Bytes          []byte
	Uploaded       bool
	Channel        string // set by files.completeUploadExternal
	InitialComment string
	BlocksJSON     string
	ThreadTS       string
	SharedAt       time.Time
}

// maxUpload bounds an uploaded file; Slack's own limit is 1 GB, a test never
// needs more than this.
const maxUpload = 32 << 20

// Files returns the files shared in channel ("" for every file, shared or not),
// in upload order.
func (s *Server) Files(channel string) []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, id := range s.fileOrder {
		f := s.files[id]
		if channel == "" || f.Channel == channel {
			c := *f
			c.Bytes = append([]byte(nil), f.Bytes...)
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) getUploadURLExternal(r *apiRequest) (map[string]any, string) {
	name := r.get("filename")
	length, err := strconv.Atoi(r.get("length"))
	switch {
	case name == "":
		return nil, "invalid_arguments"
	case err != nil || length <= 0 || length > maxUpload:
		return nil, "invalid_length"
	}
	if s.files == nil {
		s.files = map[string]*File{}
	}
	id := s.nextID("F")
	s.files[id] = &File{ID: id, Name: name, Length: length}
	s.fileOrder = append(s.fileOrder, id)
	return map[string]any{"upload_url": s.srv.URL + "/upload/" + id, "file_id": id}, ""
}

// serveUpload takes the bytes of a file at its upload_url, as files.slack.com
// does: 200 "OK - <length>" on success.
func (s *Server) serveUpload(w http.ResponseWriter, req *http.Request) {
	id := strings.TrimPrefix(req.URL.Path, "/upload/")
	if req.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := readUpload(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[id]
	switch {
	case !ok:
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	case f.Uploaded:
		http.Error(w, "already uploaded", http.StatusConflict)
		return
	case len(body) != f.Length:
		http.Error(w, fmt.Sprintf("length %d, announced %d", len(body), f.Length), http.StatusBadRequest)
		return
	}
	f.Bytes, f.Uploaded = body, true
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "OK - %d", len(body))
}

// readUpload reads the file of an upload request: the "file" part of a
// multipart form, or the raw body.
func readUpload(req *http.Request) ([]byte, error) {
	mt, params, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return io.ReadAll(io.LimitReader(req.Body, maxUpload+1))
	}
	mr := multipart.NewReader(req.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, fmt.Errorf("no file part: %w", err)
		}
		if p.FormName() == "file" {
			return io.ReadAll(io.LimitReader(p, maxUpload+1))
		}
	}
}

func (s *Server) completeUploadExternal(r *apiRequest) (map[string]any, string) {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(r.get("files")), &files); err != nil || len(files) == 0 {
		return nil, "invalid_arguments"
	}
	channel := r.get("channel_id")
	if channel == "" {
		channel = strings.Split(r.get("channels"), ",")[0]
	}
	if channel != "" && !s.channelExists(channel) {
		return nil, "channel_not_found"
	}
	for _, f := range files {
		st, ok := s.files[f.ID]
		if !ok || !st.Uploaded {
			return nil, "file_not_found"
		}
		if st.Channel != "" {
			return nil, "file_already_completed"
		}
	}
	out := make([]map[string]any, 0, len(files))
	for _, f := range files {
		st := s.files[f.ID]
		st.Title, st.Channel, st.SharedAt = f.Title, channel, s.cfg.Now()
		st.InitialComment, st.BlocksJSON, st.ThreadTS = r.get("initial_comment"), r.get("blocks"), r.get("thread_ts")
		out = append(out, map[string]any{"id": st.ID, "title": st.Title})
	}
	return map[string]any{"files": out}, ""
}
