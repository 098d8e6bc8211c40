package twilio

// message is the part of Twilio's Message resource (201 answer) the adapter reads.
type message struct {
	SID    string `json:"sid"`
	Status string `json:"status"`
}

// restError is Twilio's error envelope.
type restError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}
